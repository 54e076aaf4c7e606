using System.Net;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Meshwork.Registry.Model;

namespace Meshwork.Pilot.Generators.Endpoints;

/// <summary>
/// Service endpoints grouped by locality into Envoy's LocalityLbEndpoints, as Istio's endpoint
/// builder does: every group carries its locality (possibly empty: proxyless clients NACK a missing
/// one), the sum of its endpoints' weights (they silently drop a group without one) and priority 0
/// (locality load balancing may then change weights and priorities for one proxy).
/// Used for EDS and for the endpoints DNS clusters carry inline.
/// </summary>
public static class LocalityEndpoints
{
    /// <param name="endpoints">The endpoints, in any order; the same address and port twice is kept once.</param>
    /// <param name="ipOnly">Keep only IP addresses (proxyless gRPC clients NACK names and pipes).</param>
    public static List<LocalityLbEndpoints> Build(IEnumerable<ServiceEndpoint> endpoints, bool ipOnly) =>
        Group(endpoints, ipOnly).Select(g => g.Envoy).ToList();

    /// <summary>As <see cref="Build"/>, keeping with each group the service endpoints it was made from.</summary>
    public static List<LocalityGroup> Group(IEnumerable<ServiceEndpoint> endpoints, bool ipOnly)
    {
        var seen = new HashSet<(string, uint)>();
        return endpoints
            .Where(e => !ipOnly || IPAddress.TryParse(e.Address, out _))
            .Where(e => seen.Add((e.Address, e.Port)))
            .GroupBy(e => e.Locality, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var members = g.OrderBy(e => e.Address, StringComparer.Ordinal).ThenBy(e => e.Port).ToList();
                var group = new LocalityLbEndpoints
                {
                    Locality = Locality(g.Key),
                    LoadBalancingWeight = (uint)Math.Min(uint.MaxValue, members.Sum(e => (long)Weight(e))),
                    Priority = 0,
                };
                group.LbEndpoints.AddRange(members.Select(LbEndpoint));
                return new LocalityGroup(group, members);
            })
            .ToList();
    }

    /// <summary><c>region/zone/subzone</c>, any part may be missing.</summary>
    public static Locality Locality(string locality)
    {
        var parts = locality.Length == 0 ? [] : locality.Split('/');
        return new Locality
        {
            Region = parts.ElementAtOrDefault(0) ?? string.Empty,
            Zone = parts.ElementAtOrDefault(1) ?? string.Empty,
            SubZone = parts.ElementAtOrDefault(2) ?? string.Empty,
        };
    }

    /// <summary>A socket address (IP, or a name for DNS clusters) or a pipe for <c>unix://</c> endpoints.</summary>
    public static Address Address(string address, uint port) =>
        address.StartsWith(WorkloadInstance.UnixAddressPrefix, StringComparison.Ordinal)
            ? new Address { Pipe = new Pipe { Path = address[WorkloadInstance.UnixAddressPrefix.Length..] } }
            : new Address { SocketAddress = new Envoy.Config.Core.V3.SocketAddress { Address = address, PortValue = port } };

    private static LbEndpoint LbEndpoint(ServiceEndpoint endpoint) => new()
    {
        Endpoint = new Endpoint { Address = Address(endpoint.Address, endpoint.Port) },
        HealthStatus = endpoint.Health == WorkloadHealth.Healthy ? HealthStatus.Healthy : HealthStatus.Unhealthy,
        Metadata = EndpointMetadata.For(endpoint),
        LoadBalancingWeight = Weight(endpoint),
    };

    private static uint Weight(ServiceEndpoint endpoint) => Math.Max(1u, endpoint.Weight);
}

/// <summary>
/// One locality's Envoy endpoints and the service endpoints they were built from, index for index
/// (Istio's WrappedLocalityLbEndpoints): label-based failover needs the endpoints' labels.
/// </summary>
public sealed record LocalityGroup(LocalityLbEndpoints Envoy, IReadOnlyList<ServiceEndpoint> Sources);
