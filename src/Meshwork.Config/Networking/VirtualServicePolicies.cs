using Meshwork.Config.Binding;
using Meshwork.Config.Values;

namespace Meshwork.Config.Networking;

// The per-route policies of virtual_service.proto: retries, CORS and fault injection.

/// <summary>istio.networking.v1alpha3.HTTPRetry: how often and on which failures to retry; <c>attempts: 0</c> disables retries.</summary>
public sealed record HttpRetry
{
    public int Attempts { get; init; }

    public TimeSpan? PerTryTimeout { get; init; }

    /// <summary>Comma-separated Envoy retry-on conditions (<c>5xx</c>, <c>connect-failure</c>, gRPC <c>unavailable</c>, ...) or status codes.</summary>
    public string RetryOn { get; init; } = string.Empty;

    public bool? RetryRemoteLocalities { get; init; }

    /// <summary>Defaults to true.</summary>
    public bool? RetryIgnorePreviousHosts { get; init; }

    /// <summary>Base interval between retries; Envoy's default is 25ms.</summary>
    public TimeSpan? Backoff { get; init; }
}

/// <summary>istio.networking.v1alpha3.CorsPolicy.</summary>
public sealed record CorsPolicy
{
    [DeprecatedField("allowOrigins")]
    public ValueList<string> AllowOrigin { get; init; }

    public ValueList<StringMatch> AllowOrigins { get; init; }

    public ValueList<string> AllowMethods { get; init; }

    public ValueList<string> AllowHeaders { get; init; }

    public ValueList<string> ExposeHeaders { get; init; }

    public TimeSpan? MaxAge { get; init; }

    public bool? AllowCredentials { get; init; }

    public UnmatchedPreflights UnmatchedPreflights { get; init; }
}

/// <summary>CorsPolicy.UnmatchedPreflights: what to do with a preflight whose origin matches no allowed origin.</summary>
public enum UnmatchedPreflights
{
    /// <summary>Behaves as <see cref="Forward"/>.</summary>
    Unspecified = 0,

    /// <summary>Send the preflight on to the upstream.</summary>
    Forward = 1,

    /// <summary>Answer it at the proxy with no CORS headers.</summary>
    Ignore = 2,
}

/// <summary>istio.networking.v1alpha3.HTTPFaultInjection: delay and/or abort requests on the client side.</summary>
public sealed record HttpFaultInjection
{
    public FaultDelay? Delay { get; init; }

    public FaultAbort? Abort { get; init; }
}

/// <summary>HTTPFaultInjection.Delay: wait before forwarding.</summary>
public sealed record FaultDelay
{
    [DeprecatedField("percentage")]
    public int Percent { get; init; }

    [OneOf("httpDelayType")]
    public TimeSpan? FixedDelay { get; init; }

    /// <summary>Accepted by the schema but rejected by Istio's validator ("not supported yet").</summary>
    [OneOf("httpDelayType")]
    public TimeSpan? ExponentialDelay { get; init; }

    /// <summary>Share of requests delayed; all of them when unset.</summary>
    public Percent? Percentage { get; init; }
}

/// <summary>HTTPFaultInjection.Abort: answer with an error instead of forwarding.</summary>
public sealed record FaultAbort
{
    [OneOf("errorType")]
    public int? HttpStatus { get; init; }

    /// <summary>A gRPC status name such as <c>UNAVAILABLE</c>.</summary>
    [OneOf("errorType")]
    public string? GrpcStatus { get; init; }

    /// <summary>Accepted by the schema but rejected by Istio's validator ("not supported yet").</summary>
    [OneOf("errorType")]
    public string? Http2Error { get; init; }

    /// <summary>Share of requests aborted; all of them when unset.</summary>
    public Percent? Percentage { get; init; }
}
