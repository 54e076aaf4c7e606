using System.Collections.Frozen;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;

namespace Meshwork.Proxy.Upstream;

/// <summary>A cluster compiled with its EDS assignment (if it is an EDS cluster); the input to a swap.</summary>
internal sealed record CompiledCluster(ClusterModel Model, EndpointAssignment? Endpoints, ClusterLoadAssignment? EndpointsSource);

/// <summary>A whole CDS + EDS state, validated and compiled, ready to swap in (or to NACK before anything changed).</summary>
public sealed class CompiledClusters
{
    internal CompiledClusters(IReadOnlyDictionary<string, CompiledCluster> clusters) => Clusters = clusters;

    internal IReadOnlyDictionary<string, CompiledCluster> Clusters { get; }

    public int Count => Clusters.Count;
}

/// <summary>
/// Every upstream cluster of the proxy, by Envoy cluster name, reconciled from the applied xDS
/// config. Compiling is pure and static (so the proxy can NACK before changing anything); the
/// swap keeps unchanged clusters as they are (pools, stats, endpoint state), updates changed ones
/// in place, creates new ones, and retires removed ones after a grace period so requests in
/// flight finish on them. Readers look clusters up in a frozen map without locking.
/// </summary>
public sealed class ClusterSet : IDisposable
{
    private readonly object _applyGate = new();
    private readonly UpstreamOptions _options;
    private readonly List<UpstreamCluster> _removed = [];
    private volatile FrozenDictionary<string, UpstreamCluster> _clusters = FrozenDictionary<string, UpstreamCluster>.Empty;

    public ClusterSet(UpstreamOptions options) => _options = options;

    public IReadOnlyCollection<UpstreamCluster> Clusters => _clusters.Values;

    public bool TryGet(string name, out UpstreamCluster cluster) => _clusters.TryGetValue(name, out cluster!);

    /// <summary>
    /// Validates and compiles every cluster and the assignments of the EDS ones; throws
    /// <see cref="ProxyConfigException"/> naming the cluster and field. An EDS cluster whose
    /// assignment has not arrived compiles with no endpoints yet.
    /// </summary>
    public static CompiledClusters Compile(IReadOnlyDictionary<string, Cluster> clusters, IReadOnlyDictionary<string, ClusterLoadAssignment> endpoints, UpstreamOptions options)
    {
        var compiled = new Dictionary<string, CompiledCluster>(StringComparer.Ordinal);
        foreach (var (name, cluster) in clusters)
        {
            if (cluster.Name != name)
            {
                throw new ProxyConfigException($"cluster \"{name}\": resource name differs from its name field \"{cluster.Name}\"");
            }

            var model = ClusterCompiler.Compile(cluster, options.InboundAppAddresses);
            EndpointAssignment? assignment = null;
            ClusterLoadAssignment? source = null;
            if (model.Discovery == UpstreamDiscovery.Eds && endpoints.TryGetValue(model.EdsServiceName, out source))
            {
                assignment = EndpointCompiler.Compile(model, source, $"cluster \"{name}\": ClusterLoadAssignment \"{model.EdsServiceName}\"", options.InboundAppAddresses);
            }

            compiled[name] = new CompiledCluster(model, assignment, source);
        }

        return new CompiledClusters(compiled);
    }

    /// <summary>Compiles the clusters and assignments of an applied xDS config (see <see cref="Compile(IReadOnlyDictionary{string, Cluster}, IReadOnlyDictionary{string, ClusterLoadAssignment}, UpstreamOptions)"/>).</summary>
    public static CompiledClusters Compile(Xds.AppliedConfig config, UpstreamOptions options) => Compile(
        config.Clusters.ToDictionary(c => c.Key, c => c.Value.Resource, StringComparer.Ordinal),
        config.Endpoints.ToDictionary(e => e.Key, e => e.Value.Resource, StringComparer.Ordinal),
        options);

    /// <summary>Compiles then swaps; on a config error throws and changes nothing.</summary>
    public void Apply(IReadOnlyDictionary<string, Cluster> clusters, IReadOnlyDictionary<string, ClusterLoadAssignment> endpoints) =>
        Apply(Compile(clusters, endpoints, _options));

    public void Apply(CompiledClusters compiled)
    {
        lock (_applyGate)
        {
            var current = _clusters;
            var next = new Dictionary<string, UpstreamCluster>(StringComparer.Ordinal);
            foreach (var (name, cluster) in compiled.Clusters)
            {
                if (current.TryGetValue(name, out var existing))
                {
                    existing.Update(cluster.Model, cluster.Endpoints, cluster.EndpointsSource);
                    next[name] = existing;
                }
                else
                {
                    next[name] = new UpstreamCluster(cluster.Model, cluster.Endpoints, cluster.EndpointsSource, _options);
                }
            }

            _clusters = next.ToFrozenDictionary(StringComparer.Ordinal);
            _removed.RemoveAll(c => !c.HasRetiringPools);
            foreach (var (name, cluster) in current)
            {
                if (!next.ContainsKey(name))
                {
                    // Timers stop now; the cluster's pools are disposed after the grace period.
                    cluster.Dispose();
                    _removed.Add(cluster);
                }
            }
        }
    }

    public void Dispose()
    {
        lock (_applyGate)
        {
            foreach (var cluster in _clusters.Values.Concat(_removed))
            {
                cluster.DisposeNow();
            }

            _removed.Clear();
            _clusters = FrozenDictionary<string, UpstreamCluster>.Empty;
        }
    }
}
