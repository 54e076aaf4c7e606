using System.Net;

namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// What an access log line can say about one finished request or connection: Envoy's stream info,
/// reduced to what its command operators read. Headers are looked up by name (lower case, with
/// Envoy's pseudo-headers :method, :path, :authority, :scheme).
/// </summary>
internal sealed class AccessLogRecord
{
    public DateTimeOffset StartTime { get; init; }

    public Func<string, string?> RequestHeader { get; init; } = _ => null;

    public Func<string, string?> ResponseHeader { get; init; } = _ => null;

    public string Protocol { get; init; } = string.Empty;

    public int ResponseCode { get; init; }

    public string ResponseFlags { get; init; } = "-";

    public string ResponseCodeDetails { get; init; } = string.Empty;

    public string ConnectionTerminationDetails { get; init; } = string.Empty;

    public string UpstreamTransportFailureReason { get; init; } = string.Empty;

    public long BytesReceived { get; init; }

    public long BytesSent { get; init; }

    public TimeSpan Duration { get; init; }

    public string? UpstreamHost { get; init; }

    public string? UpstreamCluster { get; init; }

    public IPEndPoint? UpstreamLocalAddress { get; init; }

    public IPEndPoint? DownstreamLocalAddress { get; init; }

    public IPEndPoint? DownstreamRemoteAddress { get; init; }

    public string? RequestedServerName { get; init; }

    public string? RouteName { get; init; }

    /// <summary>The upstream workload Istio's metadata exchange named (outbound side), for CEL's upstream_peer.</summary>
    public PeerMetadata? UpstreamPeer { get; init; }

    /// <summary>The downstream workload Istio's metadata exchange named (inbound side), for CEL's downstream_peer.</summary>
    public PeerMetadata? DownstreamPeer { get; init; }
}
