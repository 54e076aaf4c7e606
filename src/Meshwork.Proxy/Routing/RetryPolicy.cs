using System.Collections.Frozen;
using Microsoft.AspNetCore.Http;
using EnvoyRetryPolicy = Envoy.Config.Route.V3.RetryPolicy;

namespace Meshwork.Proxy.Routing;

/// <summary>Envoy's retry_on conditions (HTTP and gRPC), parsed once from the comma-separated list.</summary>
[Flags]
public enum RetryOn
{
    None = 0,
    FiveXx = 1 << 0,
    GatewayError = 1 << 1,
    Reset = 1 << 2,
    ResetBeforeRequest = 1 << 3,
    ConnectFailure = 1 << 4,
    EnvoyRateLimited = 1 << 5,
    Retriable4xx = 1 << 6,
    RefusedStream = 1 << 7,
    RetriableStatusCodes = 1 << 8,
    RetriableHeaders = 1 << 9,
    Http3PostConnectFailure = 1 << 10,
    GrpcCancelled = 1 << 11,
    GrpcDeadlineExceeded = 1 << 12,
    GrpcInternal = 1 << 13,
    GrpcResourceExhausted = 1 << 14,
    GrpcUnavailable = 1 << 15,
}

/// <summary>
/// A route's (or virtual host's) retry policy with Envoy's defaults filled in and the retry
/// decisions as pure functions (RetryStateImpl's wouldRetryFromHeaders / wouldRetryFromReset), so
/// the pipeline's retry loop only asks. Host predicates and priorities are reduced to what the
/// pipeline acts on: whether to avoid hosts already tried.
/// </summary>
public sealed record RetryPolicy
{
    public static readonly TimeSpan DefaultBaseInterval = TimeSpan.FromMilliseconds(25);
    public const string PreviousHostsPredicate = "envoy.retry_host_predicates.previous_hosts";
    public const string PreviousPrioritiesName = "envoy.retry_priorities.previous_priorities";

    private static readonly FrozenDictionary<string, RetryOn> Tokens = new Dictionary<string, RetryOn>(StringComparer.Ordinal)
    {
        ["5xx"] = RetryOn.FiveXx,
        ["gateway-error"] = RetryOn.GatewayError,
        ["reset"] = RetryOn.Reset,
        ["reset-before-request"] = RetryOn.ResetBeforeRequest,
        ["connect-failure"] = RetryOn.ConnectFailure,
        ["envoy-ratelimited"] = RetryOn.EnvoyRateLimited,
        ["retriable-4xx"] = RetryOn.Retriable4xx,
        ["refused-stream"] = RetryOn.RefusedStream,
        ["retriable-status-codes"] = RetryOn.RetriableStatusCodes,
        ["retriable-headers"] = RetryOn.RetriableHeaders,
        ["http3-post-connect-failure"] = RetryOn.Http3PostConnectFailure,
        ["cancelled"] = RetryOn.GrpcCancelled,
        ["deadline-exceeded"] = RetryOn.GrpcDeadlineExceeded,
        ["internal"] = RetryOn.GrpcInternal,
        ["resource-exhausted"] = RetryOn.GrpcResourceExhausted,
        ["unavailable"] = RetryOn.GrpcUnavailable,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public required RetryOn RetryOn { get; init; }

    /// <summary>Retries after the first attempt; Envoy's default is 1 when the policy leaves it out.</summary>
    public required int NumRetries { get; init; }

    public TimeSpan? PerTryTimeout { get; init; }

    public TimeSpan? PerTryIdleTimeout { get; init; }

    public IReadOnlySet<int> RetriableStatusCodes { get; init; } = FrozenSet<int>.Empty;

    public TimeSpan BackoffBase { get; init; } = DefaultBaseInterval;

    /// <summary>Envoy's default is ten times the base interval.</summary>
    public TimeSpan BackoffMax { get; init; } = DefaultBaseInterval * 10;

    /// <summary>How often to re-pick a host the predicates reject; Envoy's default is 1.</summary>
    public long HostSelectionMaxAttempts { get; init; } = 1;

    /// <summary>previous_hosts predicate: a retry should avoid hosts already tried.</summary>
    public bool AvoidPreviousHosts { get; init; }

    /// <summary>previous_priorities: a retry should prefer priorities (localities) not yet tried; its update_frequency.</summary>
    public int? PreviousPrioritiesUpdateFrequency { get; init; }

    internal IReadOnlyList<HeaderMatch> RetriableHeaders { get; init; } = [];

    internal IReadOnlyList<HeaderMatch> RetriableRequestHeaders { get; init; } = [];

    /// <summary>Parses retry_on; an unknown condition is refused rather than silently not retried.</summary>
    public static RetryOn ParseRetryOn(string retryOn, string where)
    {
        var result = RetryOn.None;
        foreach (var range in retryOn.AsSpan().Split(','))
        {
            var token = retryOn.AsSpan()[range].Trim();
            if (token.IsEmpty)
            {
                continue;
            }

            if (!Tokens.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(token, out var flag))
            {
                throw new ProxyConfigException($"{where}: retry_policy retry_on \"{token}\" is not a retry condition Envoy knows");
            }

            result |= flag;
        }

        return result;
    }

    /// <summary>Whether the request may be retried at all (retriable_request_headers, all of which must match when given).</summary>
    public bool IsRetriableRequest(HttpRequest request)
    {
        foreach (var header in RetriableRequestHeaders)
        {
            if (!header.Matches(request))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether an upstream response (its status and gRPC status, if any) is retried; see the overload for header-driven conditions.</summary>
    public bool ShouldRetryStatus(int status, string? grpcStatus)
    {
        if ((RetryOn & RetryOn.FiveXx) != 0 && status is >= 500 and < 600)
        {
            return true;
        }

        if ((RetryOn & RetryOn.GatewayError) != 0 && status is 502 or 503 or 504)
        {
            return true;
        }

        if ((RetryOn & RetryOn.Retriable4xx) != 0 && status == 409)
        {
            return true;
        }

        if ((RetryOn & RetryOn.RetriableStatusCodes) != 0 && RetriableStatusCodes.Contains(status))
        {
            return true;
        }

        return grpcStatus != null && int.TryParse(grpcStatus, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code) && code switch
        {
            1 => (RetryOn & RetryOn.GrpcCancelled) != 0,
            4 => (RetryOn & RetryOn.GrpcDeadlineExceeded) != 0,
            8 => (RetryOn & RetryOn.GrpcResourceExhausted) != 0,
            13 => (RetryOn & RetryOn.GrpcInternal) != 0,
            14 => (RetryOn & RetryOn.GrpcUnavailable) != 0,
            _ => false,
        };
    }

    /// <summary>
    /// The full response decision: a response an upstream Envoy rate-limited (x-envoy-ratelimited)
    /// is retried only under envoy-ratelimited; otherwise the status rules, then retriable_headers.
    /// </summary>
    public bool ShouldRetryResponse(int status, IHeaderDictionary responseHeaders)
    {
        if (responseHeaders.ContainsKey("x-envoy-ratelimited"))
        {
            return (RetryOn & RetryOn.EnvoyRateLimited) != 0;
        }

        var grpcStatus = responseHeaders.TryGetValue("grpc-status", out var grpc) && grpc.Count > 0 ? grpc[0] : null;
        if (ShouldRetryStatus(status, grpcStatus))
        {
            return true;
        }

        if ((RetryOn & RetryOn.RetriableHeaders) != 0)
        {
            foreach (var header in RetriableHeaders)
            {
                if (header.Matches(responseHeaders))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>A reset (disconnect, stream reset, per-try timeout) after the request reached the upstream: 5xx, gateway-error and reset all cover it.</summary>
    public bool ShouldRetryReset() => (RetryOn & (RetryOn.FiveXx | RetryOn.GatewayError | RetryOn.Reset)) != 0;

    /// <summary>A reset before any of the request was sent upstream (reset-before-request also covers it).</summary>
    public bool ShouldRetryResetBeforeRequest() => ShouldRetryReset() || (RetryOn & RetryOn.ResetBeforeRequest) != 0;

    /// <summary>The connection to the upstream could not be made.</summary>
    public bool ShouldRetryConnectFailure() => ShouldRetryResetBeforeRequest() || (RetryOn & RetryOn.ConnectFailure) != 0;

    /// <summary>The upstream refused the HTTP/2 stream (REFUSED_STREAM).</summary>
    public bool ShouldRetryRefusedStream() => ShouldRetryReset() || (RetryOn & RetryOn.RefusedStream) != 0;

    /// <summary>
    /// Envoy's JitteredExponentialBackOffStrategy: before retry <paramref name="attempt"/> (1 = the
    /// first retry) wait a uniformly random time below min(base × 2^(attempt-1), max).
    /// </summary>
    public TimeSpan Backoff(int attempt, double random01)
    {
        var ceiling = BackoffBase.Ticks;
        for (var i = 1; i < attempt && ceiling < BackoffMax.Ticks; i++)
        {
            ceiling *= 2;
        }

        ceiling = Math.Min(ceiling, BackoffMax.Ticks);
        return TimeSpan.FromTicks((long)(Math.Clamp(random01, 0, 1) * ceiling));
    }

    internal static RetryPolicy? Compile(EnvoyRetryPolicy? policy, string where) => policy == null ? null : RetryPolicyCompiler.Compile(policy, where);
}
