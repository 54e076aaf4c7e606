using System.Collections.Concurrent;
using System.Threading.Channels;
using Meshwork.Pilot.Model;
using Meshwork.Pilot.Push;

namespace Meshwork.Pilot.Xds;

/// <summary>
/// One ADS stream from one proxy. Requests and pushes are handled one at a time by the stream's own
/// loop (as Istio's connection goroutine does), so per-type state needs no locks; pushes that arrive
/// while one is pending merge into it.
/// </summary>
public sealed class XdsConnection
{
    private readonly object _pushGate = new();
    private PushRequest? _pendingPush;

    public XdsConnection(string id, ProxyNode proxy, bool delta, DateTimeOffset connectedAt)
    {
        Id = id;
        Proxy = proxy;
        Delta = delta;
        ConnectedAt = connectedAt;
    }

    public string Id { get; }

    public ProxyNode Proxy { get; }

    public bool Delta { get; }

    public DateTimeOffset ConnectedAt { get; }

    public ConcurrentDictionary<string, WatchedResource> Watched { get; } = new(StringComparer.Ordinal);

    /// <summary>Requests from the proxy and push signals, consumed by the connection loop.</summary>
    public Channel<object> Events { get; } = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Queues a push; a push already waiting absorbs it (the merging push queue).</summary>
    public void QueuePush(PushRequest request)
    {
        lock (_pushGate)
        {
            if (_pendingPush != null)
            {
                _pendingPush = _pendingPush.Merge(request);
                return;
            }

            _pendingPush = request;
        }

        Events.Writer.TryWrite(PushSignal.Instance);
    }

    public PushRequest? TakePush()
    {
        lock (_pushGate)
        {
            var request = _pendingPush;
            _pendingPush = null;
            return request;
        }
    }

    public WatchedResource Watch(string typeUrl) => Watched.GetOrAdd(typeUrl, t => new WatchedResource(t));

    internal sealed class PushSignal
    {
        public static PushSignal Instance { get; } = new();
    }
}
