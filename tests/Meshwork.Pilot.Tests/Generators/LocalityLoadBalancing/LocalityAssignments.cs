using Envoy.Config.Endpoint.V3;
using Meshwork.Config.Values;
using Meshwork.Pilot.Generators.Endpoints;
using Meshwork.Registry.Model;

namespace Meshwork.Pilot.Tests.Generators.LocalityLoadBalancing;

/// <summary>Builds small assignments from endpoints written as <c>address@locality[:weight]</c> with labels.</summary>
internal static class LocalityAssignments
{
    public static ServiceEndpoint Endpoint(string address, string locality, uint weight = 1, string labels = "") => new()
    {
        Hostname = "svc.ns.svc.cluster.local",
        ServiceNamespace = "ns",
        ServicePort = 80,
        Address = address,
        Port = 8080,
        Locality = locality,
        Weight = weight,
        Labels = new ValueMap<string, string>(labels.Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('='))
            .Select(kv => KeyValuePair.Create(kv[0], kv[1]))),
    };

    public static (ClusterLoadAssignment Assignment, List<LocalityGroup> Groups) Of(params ServiceEndpoint[] endpoints)
    {
        var groups = LocalityEndpoints.Group(endpoints, ipOnly: false);
        return (new ClusterLoadAssignment { ClusterName = "c", Endpoints = { groups.Select(g => g.Envoy) } }, groups);
    }

    /// <summary><c>region/zone/subzone=priority</c> per group, in order.</summary>
    public static IEnumerable<string> Priorities(ClusterLoadAssignment assignment) =>
        assignment.Endpoints.Select(e => $"{e.Locality.Region}/{e.Locality.Zone}/{e.Locality.SubZone}={e.Priority}");

    public static ValueMap<string, string> Labels(string labels) =>
        new(labels.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=')).Select(kv => KeyValuePair.Create(kv[0], kv[1])));
}
