using Meshwork.Config.Binding;

namespace Meshwork.Config.Networking;

/// <summary>
/// istio.networking.v1alpha3.ConnectionPoolSettings: circuit-breaker limits per upstream host
/// (DestinationRule) or on inbound connections (Sidecar).
/// </summary>
public sealed record ConnectionPoolSettings
{
    public TcpConnectionPoolSettings? Tcp { get; init; }

    public HttpConnectionPoolSettings? Http { get; init; }
}

/// <summary>ConnectionPoolSettings.TCPSettings.</summary>
public sealed record TcpConnectionPoolSettings
{
    public int MaxConnections { get; init; }

    [Duration]
    public TimeSpan? ConnectTimeout { get; init; }

    public TcpKeepalive? TcpKeepalive { get; init; }

    [Duration]
    public TimeSpan? MaxConnectionDuration { get; init; }

    [Duration]
    public TimeSpan? IdleTimeout { get; init; }
}

/// <summary>ConnectionPoolSettings.TCPSettings.TcpKeepalive: SO_KEEPALIVE probes; unset fields keep the OS defaults.</summary>
public sealed record TcpKeepalive
{
    public uint Probes { get; init; }

    [Duration]
    public TimeSpan? Time { get; init; }

    [Duration]
    public TimeSpan? Interval { get; init; }
}

/// <summary>ConnectionPoolSettings.HTTPSettings.</summary>
public sealed record HttpConnectionPoolSettings
{
    public int Http1MaxPendingRequests { get; init; }

    public int Http2MaxRequests { get; init; }

    public int MaxRequestsPerConnection { get; init; }

    public int MaxRetries { get; init; }

    [Duration]
    public TimeSpan? IdleTimeout { get; init; }

    public H2UpgradePolicy H2UpgradePolicy { get; init; }

    public bool UseClientProtocol { get; init; }

    public int MaxConcurrentStreams { get; init; }

    public Http2ConnectionKeepalive? Http2KeepAlive { get; init; }
}

/// <summary>ConnectionPoolSettings.HTTPSettings.H2UpgradePolicy.</summary>
public enum H2UpgradePolicy
{
    Default = 0,
    DoNotUpgrade = 1,
    Upgrade = 2,
}

/// <summary>HTTPSettings.http2KeepAlive: HTTP/2 PING frames on upstream connections (Envoy's connection_keepalive).</summary>
public sealed record Http2ConnectionKeepalive
{
    [Duration]
    public TimeSpan? Interval { get; init; }

    [Duration]
    public TimeSpan? Timeout { get; init; }
}
