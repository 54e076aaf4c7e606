using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Pilot.Model;
using Meshwork.Registry.Model;

namespace Meshwork.Pilot.Generators.Clusters;

/// <summary>
/// Istio's <c>istio</c> filter metadata on clusters, which telemetry reads for the destination
/// service labels: the services behind the cluster, the DestinationRule and subset it came from,
/// and whether the service is outside the mesh.
/// </summary>
internal static class ClusterMetadata
{
    public const string IstioKey = "istio";

    /// <summary><c>services: [{host, name, namespace}]</c>; a ServiceEntry's service is named by its host, as in Istio.</summary>
    public static void AddServices(Cluster cluster, IEnumerable<MeshService> services)
    {
        var list = services.Select(s => Value.ForStruct(new Struct
        {
            Fields =
            {
                ["host"] = Value.ForString(s.Hostname),
                ["name"] = Value.ForString(s.Hostname),
                ["namespace"] = Value.ForString(s.Namespace),
            },
        })).ToArray();
        Istio(cluster).Fields["services"] = Value.ForList(list);
    }

    public static void MarkExternal(Cluster cluster) => Istio(cluster).Fields["external"] = Value.ForBool(true);

    /// <summary><c>config: /apis/.../destination-rule/NAME</c> and, for a subset cluster, <c>subset: NAME</c>.</summary>
    public static void AddRule(Cluster cluster, AppliedDestinationRule rule, string subset)
    {
        var istio = Istio(cluster);
        istio.Fields["config"] = Value.ForString(rule.ConfigPath);
        if (subset.Length > 0)
        {
            istio.Fields["subset"] = Value.ForString(subset);
        }
    }

    private static Struct Istio(Cluster cluster)
    {
        cluster.Metadata ??= new Metadata();
        if (!cluster.Metadata.FilterMetadata.TryGetValue(IstioKey, out var istio))
        {
            istio = new Struct();
            cluster.Metadata.FilterMetadata[IstioKey] = istio;
        }

        return istio;
    }
}
