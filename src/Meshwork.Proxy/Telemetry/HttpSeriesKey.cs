using System.Runtime.CompilerServices;

namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// What decides one request's standard labels, as it is known at the request's end, without
/// building them: the peer and service are compared by reference (each is one cached instance per
/// distinct value), so finding a known series costs a hash and a few compares.
/// </summary>
internal readonly struct HttpSeriesKey(
    bool inbound,
    PeerMetadata? peer,
    DestinationService service,
    bool mutualTls,
    string? peerPrincipal,
    string? localPrincipal,
    bool grpc,
    int status,
    string grpcStatus,
    Http.ResponseFlags flags) : IEquatable<HttpSeriesKey>
{
    public bool Equals(HttpSeriesKey other) =>
        inbound == other.Inbound && ReferenceEquals(peer, other.Peer) && ReferenceEquals(service, other.Service)
        && mutualTls == other.MutualTls && string.Equals(peerPrincipal, other.PeerPrincipal, StringComparison.Ordinal)
        && string.Equals(localPrincipal, other.LocalPrincipal, StringComparison.Ordinal)
        && grpc == other.Grpc && status == other.Status && string.Equals(grpcStatus, other.GrpcStatus, StringComparison.Ordinal) && flags == other.Flags;

    public override bool Equals(object? obj) => obj is HttpSeriesKey other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(
        HashCode.Combine(inbound, peer == null ? 0 : RuntimeHelpers.GetHashCode(peer), RuntimeHelpers.GetHashCode(service), mutualTls),
        peerPrincipal, status, grpcStatus, flags);

    public bool Inbound => inbound;

    public PeerMetadata? Peer => peer;

    public DestinationService Service => service;

    public bool MutualTls => mutualTls;

    public string? PeerPrincipal => peerPrincipal;

    public string? LocalPrincipal => localPrincipal;

    public bool Grpc => grpc;

    public int Status => status;

    public string GrpcStatus => grpcStatus;

    public Http.ResponseFlags Flags => flags;

    /// <summary>The labels, built on a series' first request only.</summary>
    public StandardLabels Labels(MeshTelemetry telemetry)
    {
        var facts = new RequestFacts(grpc ? "grpc" : "http", status, grpcStatus, Http.ResponseFlagCodes.Format(flags), mutualTls, peerPrincipal ?? telemetry.PrincipalOf(peer));
        var local = localPrincipal ?? telemetry.LocalPrincipal ?? StandardLabels.Unknown;
        return inbound
            ? RequestLabels.Inbound(telemetry.Local, local, peer, service, facts)
            : RequestLabels.Outbound(telemetry.Local, local, peer, service, facts);
    }
}
