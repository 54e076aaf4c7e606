using System.Collections.Immutable;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;

namespace Meshwork.Proxy.Xds;

/// <summary>One applied resource: the message and the version meshd gave it.</summary>
public sealed record AppliedResource<T>(string Name, string Version, T Resource);

/// <summary>
/// Everything the proxy runs on, as last accepted from meshd: immutable, built whole from a valid
/// set and swapped in one reference write, so a request always sees one consistent config.
/// </summary>
public sealed record AppliedConfig
{
    public static AppliedConfig Empty { get; } = new();

    public ImmutableSortedDictionary<string, AppliedResource<Listener>> Listeners { get; init; } = ImmutableSortedDictionary.Create<string, AppliedResource<Listener>>(StringComparer.Ordinal);

    public ImmutableSortedDictionary<string, AppliedResource<RouteConfiguration>> Routes { get; init; } = ImmutableSortedDictionary.Create<string, AppliedResource<RouteConfiguration>>(StringComparer.Ordinal);

    public ImmutableSortedDictionary<string, AppliedResource<Cluster>> Clusters { get; init; } = ImmutableSortedDictionary.Create<string, AppliedResource<Cluster>>(StringComparer.Ordinal);

    public ImmutableSortedDictionary<string, AppliedResource<ClusterLoadAssignment>> Endpoints { get; init; } = ImmutableSortedDictionary.Create<string, AppliedResource<ClusterLoadAssignment>>(StringComparer.Ordinal);

    /// <summary>The last version accepted per type URL (what an ACK carries).</summary>
    public ImmutableDictionary<string, string> Versions { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The EDS names the applied clusters need: an EDS cluster's service name, else its name.</summary>
    public IEnumerable<string> EndpointNames => Clusters.Values
        .Where(c => c.Resource.Type == Cluster.Types.DiscoveryType.Eds)
        .Select(c => c.Resource.EdsClusterConfig?.ServiceName is { Length: > 0 } service ? service : c.Name)
        .Distinct(StringComparer.Ordinal);

    /// <summary>The route tables the applied listeners refer to through RDS.</summary>
    public IEnumerable<string> RouteNames => Listeners.Values
        .SelectMany(l => ListenerRoutes.Names(l.Resource))
        .Distinct(StringComparer.Ordinal);
}
