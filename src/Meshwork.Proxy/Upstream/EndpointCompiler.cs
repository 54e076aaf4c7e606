using System.Net;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Google.Protobuf.WellKnownTypes;

namespace Meshwork.Proxy.Upstream;

/// <summary>
/// One endpoint as configured: where it is, its weight, EDS health, locality group and transport.
/// DNS clusters name a host here that is resolved into addresses later.
/// </summary>
/// <param name="ConfiguredHealthy">EDS health HEALTHY or UNKNOWN (Envoy's "healthy"); others are never picked unless in panic.</param>
/// <param name="Group">Index into <see cref="EndpointAssignment.Groups"/>.</param>
/// <param name="Transport">Index into the cluster's <see cref="ClusterModel.Transports"/>.</param>
internal sealed record EndpointSpec(string Host, int Port, uint Weight, bool ConfiguredHealthy, HealthStatus Health, int Group, int Transport, Telemetry.PeerMetadata? Workload = null);

/// <summary>One LocalityLbEndpoints entry: its locality, weight (0 = unset) and priority.</summary>
internal sealed record LocalityGroupSpec(UpstreamLocality Locality, uint Weight, uint Priority);

/// <summary>A ClusterLoadAssignment (or a cluster's inline load_assignment) compiled for one cluster.</summary>
/// <param name="OverprovisioningFactor">policy.overprovisioning_factor as a ratio (Envoy's default 140 % → 1.4).</param>
internal sealed record EndpointAssignment(IReadOnlyList<LocalityGroupSpec> Groups, IReadOnlyList<EndpointSpec> Endpoints, double OverprovisioningFactor)
{
    public static EndpointAssignment Empty { get; } = new([], [], 1.4);
}

/// <summary>
/// Compiles endpoints for a cluster: validates addresses (IPs for STATIC and EDS, names allowed
/// for DNS clusters), applies the local-mode inbound address override, and chooses each
/// endpoint's transport through the cluster's transport_socket_matches.
/// </summary>
internal static class EndpointCompiler
{
    public const string InboundClusterPrefix = "inbound|";
    public const string TransportMatchMetadataKey = "envoy.transport_socket_match";

    public static EndpointAssignment Compile(ClusterModel cluster, ClusterLoadAssignment? assignment, string where, IReadOnlyDictionary<int, DnsEndPoint> inboundApps)
    {
        if (assignment == null)
        {
            return EndpointAssignment.Empty;
        }

        var overprovisioning = assignment.Policy?.OverprovisioningFactor is { } factor ? factor / 100.0 : 1.4;
        if (overprovisioning <= 0)
        {
            throw new ProxyConfigException($"{where}: policy.overprovisioning_factor must be positive");
        }

        var dns = cluster.Discovery is UpstreamDiscovery.StrictDns or UpstreamDiscovery.LogicalDns;
        var inbound = cluster.Discovery == UpstreamDiscovery.Static && cluster.Name.StartsWith(InboundClusterPrefix, StringComparison.Ordinal);
        var groups = new List<LocalityGroupSpec>(assignment.Endpoints.Count);
        var endpoints = new List<EndpointSpec>();
        for (var g = 0; g < assignment.Endpoints.Count; g++)
        {
            var group = assignment.Endpoints[g];
            var groupWhere = $"{where}.endpoints[{g}]";
            if (group.LoadBalancingWeight == 0)
            {
                throw new ProxyConfigException($"{groupWhere}.load_balancing_weight must be at least 1");
            }

            var locality = group.Locality is { } l ? new UpstreamLocality(l.Region, l.Zone, l.SubZone) : UpstreamLocality.None;
            groups.Add(new LocalityGroupSpec(locality, group.LoadBalancingWeight ?? 0, group.Priority));
            for (var e = 0; e < group.LbEndpoints.Count; e++)
            {
                var lb = group.LbEndpoints[e];
                var endpointWhere = $"{groupWhere}.lb_endpoints[{e}]";
                if (lb.HostIdentifierCase != LbEndpoint.HostIdentifierOneofCase.Endpoint)
                {
                    throw new ProxyConfigException($"{endpointWhere}: only an inline endpoint is supported, got {lb.HostIdentifierCase}");
                }

                if (lb.LoadBalancingWeight == 0)
                {
                    throw new ProxyConfigException($"{endpointWhere}.load_balancing_weight must be at least 1");
                }

                var (host, port) = Address(lb.Endpoint.Address, $"{endpointWhere}.endpoint.address", dns);
                if (inbound && IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip) && inboundApps.TryGetValue(port, out var app))
                {
                    (host, port) = (app.Host, app.Port);
                }

                var health = lb.HealthStatus;
                endpoints.Add(new EndpointSpec(
                    host,
                    port,
                    lb.LoadBalancingWeight ?? 1,
                    health is HealthStatus.Unknown or HealthStatus.Healthy,
                    health,
                    g,
                    TransportFor(cluster, lb.Metadata),
                    Telemetry.PeerMetadata.FromEndpointMetadata(lb.Metadata)));
            }
        }

        // Envoy: priorities range from 0 to N without skipping (a gap would also make an empty level take load).
        var priorities = groups.Select(g => g.Priority).Distinct().Order().ToList();
        for (var i = 0; i < priorities.Count; i++)
        {
            if (priorities[i] != i)
            {
                throw new ProxyConfigException($"{where}.endpoints: priorities must run from 0 without gaps, got {string.Join(", ", priorities)}");
            }
        }

        if (cluster.Discovery == UpstreamDiscovery.LogicalDns && endpoints.Count != 1)
        {
            throw new ProxyConfigException($"{where}: LOGICAL_DNS clusters must have exactly one endpoint, got {endpoints.Count}");
        }

        return new EndpointAssignment(groups, endpoints, overprovisioning);
    }

    /// <summary>The first transport_socket_matches entry whose every field equals the endpoint's match metadata; else the cluster's transport_socket.</summary>
    public static int TransportFor(ClusterModel cluster, Metadata? metadata)
    {
        if (cluster.TransportMatches.Count == 0)
        {
            return cluster.DefaultTransport;
        }

        Struct? endpointFields = null;
        metadata?.FilterMetadata.TryGetValue(TransportMatchMetadataKey, out endpointFields);
        foreach (var match in cluster.TransportMatches)
        {
            var all = true;
            foreach (var (key, value) in match.Match)
            {
                if (endpointFields == null || !endpointFields.Fields.TryGetValue(key, out var actual) || !actual.Equals(value))
                {
                    all = false;
                    break;
                }
            }

            if (all)
            {
                return match.Transport;
            }
        }

        return cluster.DefaultTransport;
    }

    private static (string Host, int Port) Address(Address? address, string where, bool namesAllowed)
    {
        if (address == null)
        {
            throw new ProxyConfigException($"{where}: missing");
        }

        if (address.AddressCase != Envoy.Config.Core.V3.Address.AddressOneofCase.SocketAddress)
        {
            throw new ProxyConfigException($"{where}: only socket addresses are supported, got {address.AddressCase}");
        }

        var socket = address.SocketAddress;
        if (socket.PortSpecifierCase != Envoy.Config.Core.V3.SocketAddress.PortSpecifierOneofCase.PortValue || socket.PortValue is 0 or > 65535)
        {
            throw new ProxyConfigException($"{where}: port_value must be 1-65535 (named ports are not supported)");
        }

        if (socket.Address.Length == 0)
        {
            throw new ProxyConfigException($"{where}: address is empty");
        }

        if (!namesAllowed && !IPAddress.TryParse(socket.Address, out _))
        {
            throw new ProxyConfigException($"{where}: malformed IP address: {socket.Address}");
        }

        return (socket.Address, (int)socket.PortValue);
    }
}
