using System.Globalization;
using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// HTTP retry policies (validateHTTPRetry): attempts not negative, nothing else configured when attempts is
/// 0 (retries off), durations of at least 1ms, and retryOn a comma-separated list of Envoy retry-on
/// conditions, gRPC conditions or HTTP status codes (no spaces after the commas).
/// </summary>
public sealed class HttpRetryRule : SpecRule<VirtualService>
{
    /// <summary>Envoy's x-envoy-retry-on and x-envoy-retry-grpc-on conditions that Istio accepts.</summary>
    public static readonly IReadOnlyList<string> RetryOnPolicies =
    [
        "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "retriable-4xx", "refused-stream",
        "retriable-status-codes", "retriable-headers", "envoy-ratelimited", "http3-post-connect-failure",
        "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
    ];

    private static readonly HashSet<string> RetryOnSet = [.. RetryOnPolicies];

    /// <summary>The codes Go's http.StatusText knows, which is what Istio accepts as a bare status in retryOn.</summary>
    private static readonly HashSet<int> KnownStatusCodes =
    [
        100, 101, 102, 103,
        200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
        300, 301, 302, 303, 304, 305, 307, 308,
        400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418,
        421, 422, 423, 424, 425, 426, 428, 429, 431, 451,
        500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
    ];

    protected override void Check(VirtualService spec, RuleContext context)
    {
        for (var i = 0; i < spec.Http.Count; i++)
        {
            if (spec.Http[i].Retries is { } retries)
            {
                CheckRetries(retries, $"spec.http[{i}].retries", context);
            }
        }
    }

    private static void CheckRetries(HttpRetry retries, string path, RuleContext context)
    {
        if (retries.Attempts < 0)
        {
            context.Error(path + ".attempts", $"must not be negative, got {retries.Attempts}");
        }

        if (retries.Attempts == 0 && (retries.PerTryTimeout != null || retries.RetryOn.Length > 0 || retries.RetryRemoteLocalities != null))
        {
            context.Error(path, "http retry policy configured when attempts are set to 0 (disabled): set attempts, or remove perTryTimeout, retryOn and retryRemoteLocalities");
        }

        if (retries.PerTryTimeout is { } perTry && Checks.Duration(perTry) is { } perTryError)
        {
            context.Error(path + ".perTryTimeout", perTryError);
        }

        if (retries.RetryOn.Length > 0)
        {
            foreach (var policy in retries.RetryOn.Split(','))
            {
                if (!IsStatusCode(policy) && !RetryOnSet.Contains(policy))
                {
                    context.Error(path + ".retryOn", $"\"{policy}\" is not a valid retryOn policy, expected HTTP status codes or one of: {string.Join(", ", RetryOnPolicies)}");
                }
            }
        }

        if (retries.Backoff is { } backoff && Checks.Duration(backoff) is { } backoffError)
        {
            context.Error(path + ".backoff", backoffError);
        }
    }

    private static bool IsStatusCode(string policy) =>
        int.TryParse(policy, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var code) && KnownStatusCodes.Contains(code);
}
