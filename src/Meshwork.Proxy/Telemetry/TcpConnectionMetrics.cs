namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// Istio's istio_tcp_* metrics for one tcp_proxy connection whose chain has the istio.stats
/// filter: opened once the upstream is connected (the peer and service are known then), closed
/// with the bytes each way when the connection ends. TCP carries no exchange headers, so the peer
/// is what is known without them: the mTLS client certificate's principal inbound, the endpoint's
/// EDS workload metadata outbound (Istio's fallback when no ALPN exchange happened). Tag overrides
/// are evaluated once per connection, on its connection attributes (request.* reads "unknown").
/// </summary>
internal sealed class TcpConnectionMetrics(MeshTelemetry mesh, bool inbound, string? peerPrincipal, string? localPrincipal, MetricOverrides? overrides = null, TcpAttributes attributes = default)
{
    private IstioMetrics.TcpSeries? _series;
    private IstioMetrics.RelabelledSeries?[]? _relabelled;
    private PeerMetadata? _downstreamPeer;
    private bool _awaitingPeer;
    private bool _openPending;
    private DestinationService? _pendingService;

    private StandardMetric Skipped => overrides == null ? StandardMetric.None : overrides.Dropped | overrides.Relabelled;

    /// <summary>
    /// The client announces itself through the TCP metadata exchange (inbound, ALPN istio-peer-exchange):
    /// the connection is counted once its announcement is read, so the source labels are the client's.
    /// </summary>
    public void AwaitDownstreamPeer() => _awaitingPeer = inbound;

    /// <summary>The client's announcement was read (null: it had none); counts the connection if its upstream is already connected.</summary>
    public void DownstreamPeerKnown(PeerMetadata? peer)
    {
        _downstreamPeer = peer;
        _awaitingPeer = false;
        if (_openPending)
        {
            _openPending = false;
            Opened(_pendingService, null);
        }
    }

    /// <summary>The upstream is connected: counts the connection as opened.</summary>
    public void Opened(DestinationService? service, PeerMetadata? upstreamWorkload)
    {
        if (_awaitingPeer)
        {
            _openPending = true;
            _pendingService = service;
            return;
        }

        _series = Series(service, upstreamWorkload);
        _series.Open(Skipped);
        Relabel(inbound ? null : upstreamWorkload);
        Add(StandardMetric.TcpOpened, 1);
    }

    /// <summary>The connection ended (one that never connected counts as opened and closed, as Envoy's stats filter does).</summary>
    public void Closed(DestinationService? service, long sentToDownstream, long receivedFromDownstream)
    {
        if (_series == null)
        {
            _series = Series(service ?? _pendingService, null);
            _series.Open(Skipped);
            Relabel(null);
            Add(StandardMetric.TcpOpened, 1);
        }

        _series.Close(sentToDownstream, receivedFromDownstream, Skipped);
        Add(StandardMetric.TcpClosed, 1);
        Add(StandardMetric.TcpSentBytes, sentToDownstream);
        Add(StandardMetric.TcpReceivedBytes, receivedFromDownstream);
    }

    /// <summary>Tag overrides: the connection's labels per relabelled metric, evaluated once when its peer is known.</summary>
    private void Relabel(PeerMetadata? upstream)
    {
        if (overrides is not { Relabelled: > StandardMetric.ResponseBytes } || _series == null)
        {
            return;
        }

        var record = new AccessLogRecord
        {
            UpstreamCluster = attributes.Cluster,
            DownstreamLocalAddress = attributes.Local,
            DownstreamRemoteAddress = attributes.Remote,
            RequestedServerName = attributes.ServerName,
            UpstreamPeer = upstream,
        };
        var evaluated = overrides.Evaluate(record);
        _relabelled = new IstioMetrics.RelabelledSeries?[4];
        for (var i = 0; i < 4; i++)
        {
            var metric = (StandardMetric)((int)StandardMetric.TcpOpened << i);
            if (overrides.Layout(metric) is { } layout)
            {
                _relabelled[i] = mesh.Metrics.Relabelled(metric, layout.Apply(_series.Labels.Values, evaluated));
            }
        }
    }

    private void Add(StandardMetric metric, long amount)
    {
        if (_relabelled?[System.Numerics.BitOperations.Log2((uint)metric) - 4] is { } series)
        {
            Interlocked.Add(ref series.Value, amount);
        }
    }

    private IstioMetrics.TcpSeries Series(DestinationService? service, PeerMetadata? upstreamWorkload)
    {
        var key = new TcpSeriesKey(inbound, inbound ? _downstreamPeer : upstreamWorkload, service ?? DestinationService.Unknown, inbound && peerPrincipal != null, peerPrincipal, localPrincipal);
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

/// <summary>What CEL expressions may read of a TCP connection (Envoy's connection attributes).</summary>
internal readonly record struct TcpAttributes(string? Cluster, System.Net.IPEndPoint? Local, System.Net.IPEndPoint? Remote, string? ServerName);
