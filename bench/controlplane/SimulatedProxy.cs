using System.Collections.Concurrent;
using System.Diagnostics;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Meshwork.Bench.ControlPlane;

/// <summary>xDS type URLs and what the simulated proxies need from Clusters and Listeners.</summary>
public static class XdsTypes
{
    public const string Cluster = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    public const string Listener = "type.googleapis.com/envoy.config.listener.v3.Listener";
    public const string Route = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
    public const string Endpoint = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

    public static string Short(string typeUrl) => typeUrl switch
    {
        Cluster => "CDS",
        Listener => "LDS",
        Route => "RDS",
        Endpoint => "EDS",
        _ => typeUrl,
    };

    // All proxies get the same resources: a (name, version) is parsed once for the whole fleet.
    // meshd's version is a hash of the serialized resource, so the pair names one content.
    private static readonly ConcurrentDictionary<(string, string), string[]> ClusterDependencies = new();
    private static readonly ConcurrentDictionary<(string, string), string[]> ListenerDependencies = new();
    private static readonly ConcurrentDictionary<string, string> Strings = new(StringComparer.Ordinal);

    /// <summary>One copy of each name and version string, however many proxies hold it.</summary>
    public static string Intern(string s) => Strings.GetOrAdd(s, s);

    /// <summary>What a resource makes a proxy subscribe to next: a Cluster's EDS name, a Listener's RDS names; nothing for other types.</summary>
    public static string[] DependenciesOf(string typeUrl, string name, string version, ReadOnlySpan<byte> value) => typeUrl switch
    {
        Cluster => Cached(ClusterDependencies, name, version, value, EndpointNamesOf),
        Listener => Cached(ListenerDependencies, name, version, value, RouteNamesOf),
        _ => [],
    };

    private static string[] Cached(ConcurrentDictionary<(string, string), string[]> cache, string name, string version, ReadOnlySpan<byte> value, Func<byte[], string[]> parse)
    {
        if (!cache.TryGetValue((name, version), out var dependencies))
        {
            dependencies = cache.GetOrAdd((name, version), parse(value.ToArray()));
        }

        return dependencies;
    }

    /// <summary>The EDS names a Cluster needs (Envoy: eds_cluster_config.service_name, else the cluster's name).</summary>
    private static string[] EndpointNamesOf(byte[] bytes)
    {
        var cluster = Envoy.Config.Cluster.V3.Cluster.Parser.ParseFrom(bytes);
        if (cluster.ClusterDiscoveryTypeCase == Envoy.Config.Cluster.V3.Cluster.ClusterDiscoveryTypeOneofCase.Type && cluster.Type == Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType.Eds)
        {
            var name = cluster.EdsClusterConfig?.ServiceName;
            return [Intern(string.IsNullOrEmpty(name) ? cluster.Name : name)];
        }

        return [];
    }

    /// <summary>The RDS names a Listener needs: every HTTP connection manager that takes its routes from RDS.</summary>
    private static string[] RouteNamesOf(byte[] bytes)
    {
        var listener = Envoy.Config.Listener.V3.Listener.Parser.ParseFrom(bytes);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var chains = listener.FilterChains.AsEnumerable();
        if (listener.DefaultFilterChain != null)
        {
            chains = chains.Append(listener.DefaultFilterChain);
        }

        foreach (var filter in chains.SelectMany(c => c.Filters))
        {
            if (filter.TypedConfig is { } any && any.Is(HttpConnectionManager.Descriptor))
            {
                var hcm = any.Unpack<HttpConnectionManager>();
                if (hcm.RouteSpecifierCase == HttpConnectionManager.RouteSpecifierOneofCase.Rds)
                {
                    names.Add(Intern(hcm.Rds.RouteConfigName));
                }
            }
        }

        if (listener.ApiListener?.ApiListener_ is { } api && api.Is(HttpConnectionManager.Descriptor))
        {
            var hcm = api.Unpack<HttpConnectionManager>();
            if (hcm.RouteSpecifierCase == HttpConnectionManager.RouteSpecifierOneofCase.Rds)
            {
                names.Add(Intern(hcm.Rds.RouteConfigName));
            }
        }

        return [.. names];
    }
}

/// <summary>
/// What the fleet is waiting for: the first response of one type whose resource (optionally of one
/// name) contains a byte pattern; each proxy records when it ACKed that response.
/// </summary>
public sealed class Probe(string typeUrl, string? resourceName, byte[] pattern, long startTimestamp, int proxies)
{
    public string TypeUrl { get; } = typeUrl;

    public string? ResourceName { get; } = resourceName;

    /// <summary>Bytes only the resource carrying the change contains.</summary>
    public byte[] Pattern { get; } = pattern;

    public long Start { get; } = startTimestamp;

    /// <summary>Milliseconds from the change to each proxy's ACK; NaN until it ACKs.</summary>
    public double[] AckedMs { get; } = Enumerable.Repeat(double.NaN, proxies).ToArray();

    private int _received;

    public int Received => Volatile.Read(ref _received);

    public void Acked(int proxy, long timestamp)
    {
        if (proxy < AckedMs.Length && double.IsNaN(AckedMs[proxy]))
        {
            AckedMs[proxy] = Stopwatch.GetElapsedTime(Start, timestamp).TotalMilliseconds;
            Interlocked.Increment(ref _received);
        }
    }
}

/// <summary>Fleet-wide counters the proxies update (the quiet detector reads LastResponse).</summary>
public sealed class FleetState
{
    public long LastResponseTimestamp;
    public long Responses;
    public long StreamErrors;
    public volatile Probe? Probe;
    public string? FirstError;

    public void Touch()
    {
        Interlocked.Increment(ref Responses);
        Volatile.Write(ref LastResponseTimestamp, Stopwatch.GetTimestamp());
    }
}

/// <summary>
/// One simulated sidecar on delta ADS, as Envoy behaves: wildcard CDS and LDS, then the EDS and RDS
/// names the clusters and listeners reference (subscribing and unsubscribing as they change), every
/// response ACKed with its nonce; per type the last ACKed system version and the resources held.
/// </summary>
public sealed class SimulatedProxy(int index, Node node, FleetState fleet)
{
    private static readonly string[] Types = [XdsTypes.Cluster, XdsTypes.Listener, XdsTypes.Endpoint, XdsTypes.Route];

    private readonly Dictionary<string, TypeState> _types = Types.ToDictionary(t => t, t => new TypeState(), StringComparer.Ordinal);
    private readonly Dictionary<string, string[]> _clusterDeps = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string[]> _listenerDeps = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public int Index { get; } = index;

    /// <summary>Serialized bytes of every resource received (all types, updates included).</summary>
    public long BytesReceived => Interlocked.Read(ref _bytes);

    private long _bytes;

    public Node Node { get; } = node;

    public bool Ended { get; private set; }

    /// <summary>CDS and LDS ACKed at least once, and every subscribed EDS and RDS name received.</summary>
    public bool Synced
    {
        get
        {
            lock (_gate)
            {
                return _types[XdsTypes.Cluster].Acks > 0 && _types[XdsTypes.Listener].Acks > 0
                    && _types[XdsTypes.Endpoint].Subscribed.All(_types[XdsTypes.Endpoint].Held.ContainsKey)
                    && _types[XdsTypes.Route].Subscribed.All(_types[XdsTypes.Route].Held.ContainsKey);
            }
        }
    }

    public (int Clusters, int Listeners, int Endpoints, int Routes) Held()
    {
        lock (_gate)
        {
            return (_types[XdsTypes.Cluster].Held.Count, _types[XdsTypes.Listener].Held.Count, _types[XdsTypes.Endpoint].Held.Count, _types[XdsTypes.Route].Held.Count);
        }
    }

    public string LastAckedVersion(string type)
    {
        lock (_gate)
        {
            return _types[type].LastAckedVersion;
        }
    }

    /// <summary>
    /// Runs the proxy's ADS stream until cancelled. A stream that fails is opened again after a
    /// jittered backoff (0.5 s doubling to 8 s), as Envoy's xDS client retries, and the proxy syncs
    /// afresh; each failure is counted in the fleet's stream errors.
    /// </summary>
    public async Task RunAsync(CallInvoker invoker, CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(500);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await StreamAsync(invoker, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (Exception e) when (cancellationToken.IsCancellationRequested && e is OperationCanceledException or RpcException)
                {
                    return; // Stopping.
                }
                catch (Exception e) when (e is RpcException or IOException or HttpRequestException)
                {
                    Interlocked.Increment(ref fleet.StreamErrors);
                    Interlocked.CompareExchange(ref fleet.FirstError, $"proxy {Index} ({Node.Id}): {e.GetType().Name}: {e.Message}", null);
                    Reset();
                    await Task.Delay(backoff * (0.5 + Random.Shared.NextDouble()), cancellationToken).ConfigureAwait(false);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(8).Ticks));
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped while backing off.
        }
        finally
        {
            Ended = true;
        }
    }

    private async Task StreamAsync(CallInvoker invoker, CancellationToken cancellationToken)
    {
        using var call = invoker.AsyncDuplexStreamingCall(RawDelta.Method(fleet), null, new CallOptions(cancellationToken: cancellationToken));
        await call.RequestStream.WriteAsync(new DeltaDiscoveryRequest { Node = Node, TypeUrl = XdsTypes.Cluster }, cancellationToken).ConfigureAwait(false);
        await call.RequestStream.WriteAsync(new DeltaDiscoveryRequest { TypeUrl = XdsTypes.Listener }, cancellationToken).ConfigureAwait(false);
        await foreach (var response in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            fleet.Touch();
            var follow = Apply(response);
            await call.RequestStream.WriteAsync(new DeltaDiscoveryRequest { TypeUrl = response.TypeUrl, ResponseNonce = response.Nonce }, cancellationToken).ConfigureAwait(false);
            response.Probe?.Acked(Index, Stopwatch.GetTimestamp());

            foreach (var request in follow)
            {
                await call.RequestStream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Forgets what the failed stream delivered: the next stream subscribes and syncs from nothing.</summary>
    private void Reset()
    {
        lock (_gate)
        {
            foreach (var state in _types.Values)
            {
                state.Subscribed.Clear();
                state.Held.Clear();
                state.Acks = 0;
                state.LastAckedVersion = "";
            }

            _clusterDeps.Clear();
            _listenerDeps.Clear();
        }
    }

    /// <summary>Takes one response in and returns the subscription changes it calls for.</summary>
    private List<DeltaDiscoveryRequest> Apply(RawDeltaResponse response)
    {
        var follow = new List<DeltaDiscoveryRequest>();
        lock (_gate)
        {
            if (!_types.TryGetValue(response.TypeUrl, out var state))
            {
                return follow;
            }

            foreach (var resource in response.Resources)
            {
                _bytes += resource.Length;
                var name = resource.Name;
                state.Held[name] = resource.Version;
                if (response.TypeUrl == XdsTypes.Cluster)
                {
                    _clusterDeps[name] = resource.Dependencies;
                }
                else if (response.TypeUrl == XdsTypes.Listener)
                {
                    _listenerDeps[name] = resource.Dependencies;
                }
            }

            foreach (var name in response.RemovedResources)
            {
                state.Held.Remove(name);
                _clusterDeps.Remove(name);
                _listenerDeps.Remove(name);
            }

            state.Acks++;
            state.LastAckedVersion = response.SystemVersionInfo;
            if (response.TypeUrl == XdsTypes.Cluster)
            {
                Follow(XdsTypes.Endpoint, _clusterDeps, follow);
            }
            else if (response.TypeUrl == XdsTypes.Listener)
            {
                Follow(XdsTypes.Route, _listenerDeps, follow);
            }
        }

        return follow;
    }

    private void Follow(string type, Dictionary<string, string[]> deps, List<DeltaDiscoveryRequest> follow)
    {
        var state = _types[type];
        var wanted = new HashSet<string>(deps.Values.SelectMany(d => d), StringComparer.Ordinal);
        var add = wanted.Where(n => !state.Subscribed.Contains(n)).ToList();
        var drop = state.Subscribed.Where(n => !wanted.Contains(n)).ToList();
        if (add.Count == 0 && drop.Count == 0)
        {
            return;
        }

        var request = new DeltaDiscoveryRequest { TypeUrl = type };
        request.ResourceNamesSubscribe.AddRange(add);
        request.ResourceNamesUnsubscribe.AddRange(drop);
        state.Subscribed.UnionWith(add);
        foreach (var name in drop)
        {
            state.Subscribed.Remove(name);
            state.Held.Remove(name);
        }

        follow.Add(request);
    }

    private sealed class TypeState
    {
        public readonly HashSet<string> Subscribed = new(StringComparer.Ordinal);
        public readonly Dictionary<string, string> Held = new(StringComparer.Ordinal);
        public int Acks;
        public string LastAckedVersion = "";
    }
}

/// <summary>Istio's sidecar node, as mesh-proxy's ProxyNodeBuilder sends it.</summary>
public static class Nodes
{
    public static Node Sidecar(string ip, string workload, string ns, string app, string version, uint port)
    {
        var labels = new Struct();
        labels.Fields["app"] = Value.ForString(app);
        labels.Fields["version"] = Value.ForString(version);
        labels.Fields["security.istio.io/tlsMode"] = Value.ForString("disabled");
        var metadata = new Struct();
        metadata.Fields["NAMESPACE"] = Value.ForString(ns);
        metadata.Fields["LABELS"] = Value.ForStruct(labels);
        metadata.Fields["SERVICE_ACCOUNT"] = Value.ForString(app);
        metadata.Fields["INSTANCE_IPS"] = Value.ForString(ip);
        metadata.Fields["WORKLOAD_NAME"] = Value.ForString(workload);
        metadata.Fields["POD_PORTS"] = Value.ForString($"[{{\"name\":\"{port}\",\"containerPort\":{port},\"protocol\":\"TCP\"}}]");
        return new Node
        {
            Id = $"sidecar~{ip}~{workload}.{ns}~{ns}.svc.cluster.local",
            Cluster = $"{app}.{ns}",
            Metadata = metadata,
            Locality = new Locality(),
            UserAgentName = "meshwork-cp-bench",
        };
    }
}
