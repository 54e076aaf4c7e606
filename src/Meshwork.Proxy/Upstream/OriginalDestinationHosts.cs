using System.Collections.Concurrent;

namespace Meshwork.Proxy.Upstream;

/// <summary>
/// ORIGINAL_DST (PassthroughCluster, InboundPassthroughCluster): the host is wherever the request
/// was going. Hosts are created on first use and kept while used, so their counters and pooled
/// connections carry over between requests; a sweep every cleanup_interval drops hosts that saw
/// no request since the previous sweep and have none in flight, as Envoy does.
/// </summary>
internal sealed class OriginalDestinationHosts : IDisposable
{
    private readonly ConcurrentDictionary<(string Host, int Port), Entry> _hosts = new();
    private readonly object _sweepGate = new();
    private readonly TimeProvider _time;
    private ITimer? _sweep;
    private bool _disposed;

    public OriginalDestinationHosts(TimeProvider time) => _time = time;

    public IEnumerable<UpstreamEndpoint> All => _hosts.Values.Select(e => e.Endpoint);

    public UpstreamEndpoint Get(UpstreamCluster.ClusterSnapshot snapshot, string host, int port)
    {
        var transport = snapshot.Transports[snapshot.Model.DefaultTransport];
        if (_hosts.TryGetValue((host, port), out var entry) && ReferenceEquals(entry.Endpoint.Transport, transport))
        {
            entry.Used = true;
            return entry.Endpoint;
        }

        StartSweeping(snapshot.Model.OriginalDstCleanupInterval);
        var state = entry?.Endpoint.State ?? new EndpointState(UpstreamEndpoint.FormatAddress(host, port), _time.GetTimestamp());
        var endpoint = new UpstreamEndpoint(host, port, 1, UpstreamLocality.None, 0, true, Envoy.Config.Core.V3.HealthStatus.Unknown, transport, state);
        var fresh = new Entry(endpoint) { Used = true };
        return _hosts.AddOrUpdate((host, port), fresh, (_, existing) => ReferenceEquals(existing.Endpoint.Transport, transport) ? existing : fresh).Endpoint;
    }

    public EndpointState? StateFor(string host, int port) => _hosts.TryGetValue((host, port), out var entry) ? entry.Endpoint.State : null;

    internal void Sweep()
    {
        foreach (var (key, entry) in _hosts)
        {
            if (!entry.Used && entry.Endpoint.ActiveRequests == 0 && Interlocked.Read(ref entry.Endpoint.State.ActiveConnections) == 0)
            {
                _hosts.TryRemove(new KeyValuePair<(string, int), Entry>(key, entry));
            }

            entry.Used = false;
        }
    }

    /// <summary>The sweep starts with the first host, so clusters that never see traffic hold no timer.</summary>
    private void StartSweeping(TimeSpan interval)
    {
        if (_sweep != null)
        {
            return;
        }

        lock (_sweepGate)
        {
            if (_sweep == null && !_disposed)
            {
                _sweep = _time.CreateTimer(_ => Sweep(), null, interval, interval);
            }
        }
    }

    public void Dispose()
    {
        lock (_sweepGate)
        {
            _disposed = true;
            _sweep?.Dispose();
        }
    }

    private sealed class Entry(UpstreamEndpoint endpoint)
    {
        public UpstreamEndpoint Endpoint { get; } = endpoint;

        public volatile bool Used;
    }
}
