namespace Meshwork.Proxy.Connections;

/// <summary>
/// The counters of one tcp_proxy stat prefix (Envoy's <c>tcp.STAT_PREFIX.*</c>), shared by all its
/// connections and bumped with Interlocked so the admin endpoint can read them at any time. Upstream
/// connect failures belong to the cluster's stats, so they are reported in the result instead.
/// </summary>
public sealed class TcpProxyStats
{
    private long _downstreamCxTotal;
    private long _downstreamCxActive;
    private long _downstreamCxRxBytesTotal;
    private long _downstreamCxTxBytesTotal;
    private long _idleTimeout;
    private long _maxDownstreamConnectionDuration;

    public long DownstreamCxTotal => Volatile.Read(ref _downstreamCxTotal);

    public long DownstreamCxActive => Volatile.Read(ref _downstreamCxActive);

    /// <summary>Bytes read from the downstream client.</summary>
    public long DownstreamCxRxBytesTotal => Volatile.Read(ref _downstreamCxRxBytesTotal);

    /// <summary>Bytes written to the downstream client.</summary>
    public long DownstreamCxTxBytesTotal => Volatile.Read(ref _downstreamCxTxBytesTotal);

    public long IdleTimeout => Volatile.Read(ref _idleTimeout);

    public long MaxDownstreamConnectionDuration => Volatile.Read(ref _maxDownstreamConnectionDuration);

    /// <summary>The counters by their Envoy names, for the admin /stats endpoint.</summary>
    public IEnumerable<KeyValuePair<string, long>> Snapshot()
    {
        yield return new("downstream_cx_total", DownstreamCxTotal);
        yield return new("downstream_cx_active", DownstreamCxActive);
        yield return new("downstream_cx_rx_bytes_total", DownstreamCxRxBytesTotal);
        yield return new("downstream_cx_tx_bytes_total", DownstreamCxTxBytesTotal);
        yield return new("idle_timeout", IdleTimeout);
        yield return new("max_downstream_connection_duration", MaxDownstreamConnectionDuration);
    }

    internal void ConnectionOpened()
    {
        Interlocked.Increment(ref _downstreamCxTotal);
        Interlocked.Increment(ref _downstreamCxActive);
    }

    internal void ConnectionClosed() => Interlocked.Decrement(ref _downstreamCxActive);

    internal void Received(int bytes) => Interlocked.Add(ref _downstreamCxRxBytesTotal, bytes);

    internal void Sent(int bytes) => Interlocked.Add(ref _downstreamCxTxBytesTotal, bytes);

    internal void IdleTimedOut() => Interlocked.Increment(ref _idleTimeout);

    internal void DurationReached() => Interlocked.Increment(ref _maxDownstreamConnectionDuration);
}
