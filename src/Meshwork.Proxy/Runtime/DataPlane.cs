using Meshwork.Proxy.Listeners;
using Meshwork.Proxy.Stats;
using Meshwork.Proxy.Upstream;
using Meshwork.Proxy.Xds;

namespace Meshwork.Proxy.Runtime;

/// <summary>
/// The data path's config in force: route tables, listeners and the upstream clusters, each its
/// own snapshot swapped whole. An accepted xDS response is compiled first (only the type it
/// changed; unchanged resources are reused as compiled), so what cannot run is refused before
/// anything changes; then it is put in force and the listeners are re-bound to match.
/// Endpoint churn reaches only the clusters, never listeners or routes.
/// </summary>
internal sealed class DataPlane(ProxyOptions options, ClusterSet clusters, UpstreamOptions upstream, StatsStore stats, Telemetry.MeshTelemetry? telemetry = null) : IConfigConsumer
{
    private volatile RoutingSnapshot _routing = RoutingSnapshot.Empty;
    private volatile ListenerSnapshot _listeners = ListenerSnapshot.Empty;

    public RoutingSnapshot Routing => _routing;

    public ListenerSnapshot Listeners => _listeners;

    public ClusterSet Clusters => clusters;

    /// <summary>Set once the host has started: applies listener changes to bound sockets.</summary>
    public ListenerHost? Host { get; set; }

    private sealed record Prepared(RoutingSnapshot? Routing, ListenerSnapshot? Listeners, object? Clusters);

    public object Prepare(AppliedConfig next, string typeUrl) => typeUrl switch
    {
        ConfigApplier.RouteType => new Prepared(RoutingSnapshot.Build(next, _routing), null, null),
        ConfigApplier.ListenerType => new Prepared(null, ListenerSnapshot.Build(next, _listeners, options, stats, telemetry), null),
        ConfigApplier.ClusterType or ConfigApplier.EndpointType => new Prepared(null, null, ClusterSet.Compile(Dictionary(next.Clusters), Dictionary(next.Endpoints), upstream)),
        _ => new Prepared(null, null, null),
    };

    public void Commit(object prepared)
    {
        var change = (Prepared)prepared;
        if (change.Clusters != null)
        {
            clusters.Apply((CompiledClusters)change.Clusters);
        }

        if (change.Routing != null)
        {
            _routing = change.Routing;
        }

        if (change.Listeners != null)
        {
            var previous = _listeners;
            _listeners = change.Listeners;
            RetireReplaced(previous, change.Listeners);
            _ = Host?.ReconcileAsync(change.Listeners);
        }
    }

    /// <summary>
    /// Drains what a listener change replaced, as Envoy drains the connections of a changed filter
    /// chain: connections still served by a replaced listener's HTTP managers close after their
    /// next response, so new policy (RBAC, ext_authz, authentication) reaches keep-alive clients
    /// instead of waiting for them to hang up. Unchanged listeners are reused and keep their connections.
    /// </summary>
    private static void RetireReplaced(ListenerSnapshot previous, ListenerSnapshot next)
    {
        foreach (var (name, old) in previous.Listeners)
        {
            if (next.Listeners.TryGetValue(name, out var current) && ReferenceEquals(current, old))
            {
                continue;
            }

            foreach (var manager in old.Managers.Values)
            {
                manager.Retire();
            }
        }
    }

    private static Dictionary<string, T> Dictionary<T>(IEnumerable<KeyValuePair<string, AppliedResource<T>>> resources) =>
        resources.ToDictionary(r => r.Key, r => r.Value.Resource, StringComparer.Ordinal);
}
