namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// Istio's istio_tcp_* metrics for one tcp_proxy connection whose chain has the istio.stats
/// filter: opened once the upstream is connected (the peer and service are known then), closed
/// with the bytes each way when the connection ends. TCP carries no exchange headers, so the peer
/// is what is known without them: the mTLS client certificate's principal inbound, the endpoint's
/// EDS workload metadata outbound (Istio's fallback when no ALPN exchange happened).
/// </summary>
internal sealed class TcpConnectionMetrics(MeshTelemetry mesh, bool inbound, string? peerPrincipal, string? localPrincipal, StandardMetric dropped = StandardMetric.None)
{
    private IstioMetrics.TcpSeries? _series;

    /// <summary>The upstream is connected: counts the connection as opened.</summary>
    public void Opened(DestinationService? service, PeerMetadata? upstreamWorkload)
    {
        _series = Series(service, upstreamWorkload);
        _series.Open(dropped);
    }

    /// <summary>The connection ended (one that never connected counts as opened and closed, as Envoy's stats filter does).</summary>
    public void Closed(DestinationService? service, long sentToDownstream, long receivedFromDownstream)
    {
        if (_series == null)
        {
            _series = Series(service, null);
            _series.Open(dropped);
        }

        _series.Close(sentToDownstream, receivedFromDownstream, dropped);
    }

    private IstioMetrics.TcpSeries Series(DestinationService? service, PeerMetadata? upstreamWorkload)
    {
        var key = new TcpSeriesKey(inbound, inbound ? null : upstreamWorkload, service ?? DestinationService.Unknown, inbound && peerPrincipal != null, peerPrincipal, localPrincipal);
        return mesh.TcpSeries(key);
    }
}

/// <summary>What decides one TCP connection's labels (a value: connections are far rarer than requests).</summary>
internal readonly record struct TcpSeriesKey(bool Inbound, PeerMetadata? Peer, DestinationService Service, bool MutualTls, string? PeerPrincipal, string? LocalPrincipal)
{
    public StandardLabels Labels(MeshTelemetry telemetry)
    {
        var facts = new RequestFacts("tcp", 0, string.Empty, "-", MutualTls, PeerPrincipal ?? telemetry.PrincipalOf(Peer));
        var local = LocalPrincipal ?? telemetry.LocalPrincipal ?? StandardLabels.Unknown;
        var all = Inbound
            ? RequestLabels.Inbound(telemetry.Local, local, Peer, Service, facts)
            : RequestLabels.Outbound(telemetry.Local, local, Peer, Service, facts);
        return new StandardLabels(all.Values[..StandardLabels.TcpCount]);
    }
}
