using System.Globalization;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Retry.Host.PreviousHosts.V3;
using Envoy.Extensions.Retry.Priority.PreviousPriorities.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Networking;

namespace Meshwork.Pilot.Generators.Routes;

/// <summary>
/// HTTPRetry → Envoy RetryPolicy, after Istio's route/retry/retry.go. Without a policy (on the route
/// or MeshConfig's <c>defaultHttpRetryPolicy</c>) Istio's default applies: 2 retries on
/// <c>connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes</c> with 503
/// retriable, preferring hosts not yet tried (unless the route hashes consistently, where retries
/// must stay on the same host), at most 5 host selection attempts. <c>attempts: 0</c> disables it.
/// </summary>
internal static class RetryPolicyTranslator
{
    public const string DefaultRetryOn = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";
    public const string PreviousHostsPredicate = "envoy.retry_host_predicates.previous_hosts";
    public const string PreviousPrioritiesName = "envoy.retry_priorities.previous_priorities";

    /// <summary>The codes Go's http.StatusText names, which is what Istio accepts as a bare status in retryOn.</summary>
    private static readonly HashSet<int> KnownStatusCodes =
    [
        100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308,
        400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424,
        425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
    ];

    public static RetryPolicy? Translate(HttpRetry? retry, bool consistentHash)
    {
        var policy = Default(consistentHash);
        if (retry == null)
        {
            return policy;
        }

        if (retry.Attempts <= 0)
        {
            return null;
        }

        policy.NumRetries = (uint)retry.Attempts;
        if (retry.RetryOn.Length > 0)
        {
            var (retryOn, codes) = ParseRetryOn(retry.RetryOn);
            policy.RetryOn = retryOn;
            policy.RetriableStatusCodes.Clear();
            policy.RetriableStatusCodes.AddRange(codes);
            if (codes.Count > 0 && !retryOn.Contains("retriable-status-codes", StringComparison.Ordinal))
            {
                policy.RetryOn += ",retriable-status-codes";
            }
        }

        if (retry.PerTryTimeout is { } perTry)
        {
            policy.PerTryTimeout = Duration.FromTimeSpan(perTry);
        }

        if (retry.RetryIgnorePreviousHosts is { } ignorePrevious)
        {
            policy.RetryHostPredicate.Clear();
            if (ignorePrevious)
            {
                policy.RetryHostPredicate.Add(PreviousHosts());
            }
        }

        if (retry.RetryRemoteLocalities == true)
        {
            policy.RetryPriority = new RetryPolicy.Types.RetryPriority
            {
                Name = PreviousPrioritiesName,
                TypedConfig = Any.Pack(new PreviousPrioritiesConfig { UpdateFrequency = 2 }),
            };
        }

        if (retry.Backoff is { } backoff)
        {
            policy.RetryBackOff = new RetryPolicy.Types.RetryBackOff { BaseInterval = Duration.FromTimeSpan(backoff) };
        }

        return policy;
    }

    private static RetryPolicy Default(bool consistentHash)
    {
        var policy = new RetryPolicy { NumRetries = 2, RetryOn = DefaultRetryOn, HostSelectionRetryMaxAttempts = 5 };
        policy.RetriableStatusCodes.Add(503);
        if (!consistentHash)
        {
            policy.RetryHostPredicate.Add(PreviousHosts());
        }

        return policy;
    }

    private static RetryPolicy.Types.RetryHostPredicate PreviousHosts() =>
        new() { Name = PreviousHostsPredicate, TypedConfig = Any.Pack(new PreviousHostsPredicate()) };

    /// <summary>Istio's parseRetryOn: integers that are HTTP status codes go to retriable_status_codes, the rest stay, in order.</summary>
    private static (string RetryOn, List<uint> Codes) ParseRetryOn(string retryOn)
    {
        var codes = new List<uint>();
        var kept = new List<string>();
        foreach (var raw in retryOn.Split(','))
        {
            var part = raw.Trim();
            if (part.Length == 0)
            {
                continue;
            }

            if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && KnownStatusCodes.Contains(code))
            {
                codes.Add((uint)code);
            }
            else
            {
                kept.Add(part);
            }
        }

        return (string.Join(",", kept), codes);
    }
}
