using System.Collections.Concurrent;
using Envoy.Service.Discovery.V3;
using Meshwork.Pilot.Generators;
using Meshwork.Pilot.Model;
using Meshwork.Pilot.Push;
using Microsoft.Extensions.Logging;

namespace Meshwork.Pilot.Xds;

/// <summary>Told when proxies connect and leave, so they can register themselves as workloads.</summary>
public interface IProxyLifecycle
{
    void Connected(XdsConnection connection);

    void Disconnected(XdsConnection connection);
}

/// <summary>
/// The ADS server's logic, independent of gRPC: per-connection request handling (new subscriptions,
/// ACKs, NACKs, stale nonces), pushes fanned out to every connection with bounded concurrency, and
/// per-resource versions so unchanged resources are never resent.
/// </summary>
public sealed partial class DiscoveryServer
{
    private readonly ConcurrentDictionary<string, XdsConnection> _connections = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IResourceGenerator> _generators;
    private readonly SemaphoreSlim _throttle;
    private readonly ByteBudget _writing;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IProxyLifecycle? _lifecycle;
    private readonly TranslationCache _cache = new();
    private ConcurrentDictionary<string, string> _names = new(StringComparer.Ordinal);
    private ConcurrentDictionary<SubscribedNames, SubscribedNames> _subscriptions = new();
    private long _nonce;
    private long _connectionCounter;
    private volatile MeshSnapshot _snapshot = MeshSnapshot.Empty;

    /// <summary>
    /// Bytes of responses written at once (<see cref="ByteBudget"/>): about ten route tables of
    /// 0.7 MB (1000 services). Fewer bytes in flight stay in the CPU's cache while they pass the
    /// gRPC, HTTP/2 and socket buffers: at 1000 proxies meshd's CPU per VirtualService push was
    /// 0.50-0.59 s with 8 MB against 0.60-0.65 s with 16 MB (bench/controlplane, back to back).
    /// </summary>
    public const long DefaultWriteBudgetBytes = 8 * 1024 * 1024;

    public DiscoveryServer(IEnumerable<IResourceGenerator> generators, ILogger<DiscoveryServer> logger, IProxyLifecycle? lifecycle = null, TimeProvider? time = null, int? pushThrottle = null, long writeBudgetBytes = DefaultWriteBudgetBytes)
    {
        _generators = generators.ToDictionary(g => g.TypeUrl, StringComparer.Ordinal);
        _logger = logger;
        _lifecycle = lifecycle;
        _time = time ?? TimeProvider.System;
        // Istio's PILOT_PUSH_THROTTLE default: min(15 + 5 * cores, 100) pushes at a time. Answers to
        // requests take a slot too: a response is serialized whole before it is written, so a thousand
        // sidecars connecting at once would otherwise hold a thousand full CDS answers in memory.
        _throttle = new SemaphoreSlim(pushThrottle ?? Math.Min(15 + (5 * Environment.ProcessorCount), 100));
        _writing = new ByteBudget(writeBudgetBytes);
    }

    public MeshSnapshot Snapshot => _snapshot;

    /// <summary>Generator results by their exact inputs; a proxy's request right after a push reuses the push's work.</summary>
    public TranslationCache Cache => _cache;

    public IReadOnlyCollection<XdsConnection> Connections => (IReadOnlyCollection<XdsConnection>)_connections.Values;

    /// <summary>Publishes a new snapshot and pushes what <paramref name="request"/> says changed to every connection.</summary>
    public void Push(MeshSnapshot snapshot, PushRequest request)
    {
        _snapshot = snapshot;
        foreach (var (reason, count) in request.Reasons)
        {
            XdsMetrics.PushTriggers.WithLabels(reason.ToString().ToLowerInvariant()).Inc(count);
        }

        foreach (var connection in _connections.Values)
        {
            connection.QueuePush(request.For(connection.Proxy));
        }
    }

    /// <summary>Replaces the snapshot without pushing (start-up, before any proxy connects).</summary>
    public void SetSnapshot(MeshSnapshot snapshot) => _snapshot = snapshot;

    public XdsConnection? Find(string proxyId) => _connections.Values.FirstOrDefault(c => c.Proxy.Id == proxyId);

    /// <summary>
    /// One instance of each subscribed resource name for all connections: a thousand sidecars
    /// subscribing to the same thousands of EDS names otherwise hold a thousand copies of each (half
    /// a gigabyte at 1000 proxies and 1000 services). Started afresh past a million names, so names
    /// nobody uses any more cannot accumulate for ever.
    /// </summary>
    internal string Canonical(string name)
    {
        var names = _names;
        if (names.TryGetValue(name, out var canonical))
        {
            return canonical;
        }

        if (names.Count > 1_000_000)
        {
            Interlocked.CompareExchange(ref _names, new ConcurrentDictionary<string, string>(StringComparer.Ordinal), names);
        }

        return _names.GetOrAdd(name, name);
    }

    /// <summary>Replaces each name in <paramref name="names"/> by its <see cref="Canonical"/> instance.</summary>
    internal void ShareNames(Google.Protobuf.Collections.RepeatedField<string> names)
    {
        for (var i = 0; i < names.Count; i++)
        {
            names[i] = Canonical(names[i]);
        }
    }

    /// <summary>
    /// One instance of each distinct subscription for all connections (see <see cref="SubscribedNames"/>).
    /// Started afresh past ten thousand, so subscriptions nobody holds any more cannot accumulate for ever.
    /// </summary>
    internal SubscribedNames Intern(SubscribedNames names)
    {
        var subscriptions = _subscriptions;
        if (subscriptions.Count > 10_000)
        {
            Interlocked.CompareExchange(ref _subscriptions, new ConcurrentDictionary<SubscribedNames, SubscribedNames>(), subscriptions);
        }

        return _subscriptions.GetOrAdd(names, names);
    }

    internal string NextNonce() => Interlocked.Increment(ref _nonce).ToString(System.Globalization.CultureInfo.InvariantCulture);

    internal XdsConnection Open(Envoy.Config.Core.V3.Node node, bool delta, out string? error)
    {
        var proxy = ProxyNode.Parse(node, out error);
        if (proxy == null)
        {
            return null!;
        }

        var id = $"{proxy.Id}-{Interlocked.Increment(ref _connectionCounter)}";
        var connection = new XdsConnection(id, proxy, delta, _time.GetUtcNow());
        _connections[id] = connection;
        XdsMetrics.Connected.WithLabels("meshwork").Set(_connections.Count);
        Log.Connected(_logger, proxy.Id, delta ? "delta" : "sotw");
        _lifecycle?.Connected(connection);
        return connection;
    }

    internal void Close(XdsConnection connection)
    {
        if (_connections.TryRemove(connection.Id, out _))
        {
            XdsMetrics.Connected.WithLabels("meshwork").Set(_connections.Count);
            Log.Disconnected(_logger, connection.Proxy.Id);
            _lifecycle?.Disconnected(connection);
        }
    }

    /// <summary>Runs the generator for one watch, or an empty list for a type nobody generates.</summary>
    internal IReadOnlyList<GeneratedResource> Generate(XdsConnection connection, WatchedResource watch)
    {
        if (!_generators.TryGetValue(watch.TypeUrl, out var generator))
        {
            return [];
        }

        watch.Seal(Intern);
        return _cache.GetOrGenerate(generator, _snapshot, connection.Proxy, watch.Requested);
    }

    internal bool Concerns(string typeUrl, PushRequest request, ProxyNode proxy) =>
        _generators.TryGetValue(typeUrl, out var generator) && generator.Concerns(request, proxy, _snapshot);

    internal async Task<T> ThrottledAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        await _throttle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await work().ConfigureAwait(false);
        }
        finally
        {
            _throttle.Release();
        }
    }

    /// <summary>Writes one response once its bytes fit in the write budget.</summary>
    internal async Task WriteAsync<T>(Grpc.Core.IServerStreamWriter<T> writer, T response, CancellationToken cancellationToken)
        where T : Google.Protobuf.IMessage
    {
        var bytes = response.CalculateSize();
        await _writing.AcquireAsync(bytes, cancellationToken).ConfigureAwait(false);
        try
        {
            await writer.WriteAsync(response, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writing.Release(bytes);
        }
    }

    internal void Acked(WatchedResource watch, string version, string nonce)
    {
        watch.VersionAcked = version;
        watch.NonceAcked = nonce;
        watch.LastNack = null;
        if (watch.PushPendingSince is { } start)
        {
            // Convergence: from the first change merged into the push to the proxy's ACK of what it sent.
            XdsMetrics.Convergence.Observe(Math.Max(0, (_time.GetUtcNow() - start).TotalSeconds));
            watch.PushPendingSince = null;
        }
    }

    internal void Nacked(XdsConnection connection, WatchedResource watch, string nonce, string message)
    {
        watch.LastNack = message;
        watch.NonceAcked = nonce;
        XdsMetrics.Reject(TypeUrls.Short(watch.TypeUrl));
        Log.Nack(_logger, connection.Proxy.Id, TypeUrls.Short(watch.TypeUrl), nonce, message);
    }

    internal void StaleNonce(XdsConnection connection, string typeUrl, string nonce)
    {
        XdsMetrics.ExpiredNonces.WithLabels(TypeUrls.Short(typeUrl).ToLowerInvariant()).Inc();
        Log.StaleNonce(_logger, connection.Proxy.Id, TypeUrls.Short(typeUrl), nonce);
    }

    internal void Sent(string typeUrl) => XdsMetrics.Pushes.WithLabels(TypeUrls.Short(typeUrl).ToLowerInvariant()).Inc();

    internal DateTimeOffset Now => _time.GetUtcNow();

    internal ILogger Logger => _logger;

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "ADS: {ProxyId} connected ({Mode})")]
        public static partial void Connected(ILogger logger, string proxyId, string mode);

        [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "ADS: {ProxyId} disconnected")]
        public static partial void Disconnected(ILogger logger, string proxyId);

        [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "ADS: {ProxyId} rejected {Type} (nonce {Nonce}): {Reason}")]
        public static partial void Nack(ILogger logger, string proxyId, string type, string nonce, string reason);

        [LoggerMessage(EventId = 303, Level = LogLevel.Debug, Message = "ADS: {ProxyId} sent {Type} with an expired nonce {Nonce}; ignored")]
        public static partial void StaleNonce(ILogger logger, string proxyId, string type, string nonce);
    }
}
