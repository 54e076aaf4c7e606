using System.Net;
using System.Net.Sockets;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Networking;
using Meshwork.Config.Validation.Networking;
using Meshwork.Pilot.Generators.Endpoints;
using Meshwork.Pilot.Model;
using Meshwork.Registry.Model;
using DiscoveryType = Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType;

namespace Meshwork.Pilot.Generators.Clusters;

/// <summary>
/// A sidecar's clusters for its own workload (Istio's buildInboundClusters): one
/// <c>inbound|PORT||</c> per port the workload serves, a STATIC cluster to <c>127.0.0.1:PORT</c>
/// (the proxy hands the connection to the application there). The ports are those of the services
/// whose endpoints are this workload, plus the ports the proxy announced; a Sidecar resource with
/// ingress listeners replaces both with its listeners and their default endpoints.
/// </summary>
internal sealed class InboundClusterBuilder(MeshSnapshot snapshot, ProxyNode proxy, ProxyScope scope)
{
    private const string Localhost = "127.0.0.1";

    /// <summary>Istio's maximum duration, so Envoy never cleans up an inbound original-destination cluster's hosts.</summary>
    private static readonly Duration NoCleanup = new() { Seconds = 9223372035 };

    private readonly Sidecar? _sidecar = scope.Sidecar?.SpecAs<Sidecar>();

    public IEnumerable<Cluster> Build() =>
        _sidecar is { Ingress.IsEmpty: false } sidecar ? FromSidecarIngress(sidecar) : FromServedPorts();

    private IEnumerable<Cluster> FromServedPorts()
    {
        var targets = proxy.IpAddresses
            .SelectMany(ip => snapshot.Registry.EndpointsAt(ip, proxy.Namespace))
            .Where(e => !e.IsUnixSocket && e.Port > 0)
            .ToLookup(e => e.Port);
        var ports = targets.Select(g => g.Key).Concat(proxy.Ports.Select(p => p.Port)).Where(p => p > 0).Distinct().Order();
        foreach (var port in ports)
        {
            var served = targets[port].OrderBy(e => e.Hostname, StringComparer.Ordinal).ThenBy(e => e.ServicePort).ToList();
            var protocol = served.Count > 0 ? ServicePortProtocol(served[0]) : ProtocolFromPortName(proxy.Ports.First(p => p.Port == port).Name);
            yield return Build(port, Localhost, port, protocol, served);
        }
    }

    /// <summary>Istio's buildInboundClustersFromSidecar: <c>127.0.0.1:P</c>, <c>0.0.0.0:P</c> (the workload's IP) or <c>unix://</c>; none means pass through to the original destination.</summary>
    private IEnumerable<Cluster> FromSidecarIngress(Sidecar sidecar)
    {
        var targets = proxy.IpAddresses.SelectMany(ip => snapshot.Registry.EndpointsAt(ip, proxy.Namespace)).ToList();
        foreach (var ingress in sidecar.Ingress.Where(i => i.Port != null).OrderBy(i => i.Port!.Number))
        {
            var port = ingress.Port!.Number;
            string? address = null;
            uint endpointPort = 0;
            if (ingress.DefaultEndpoint.StartsWith(WorkloadInstance.UnixAddressPrefix, StringComparison.Ordinal))
            {
                address = ingress.DefaultEndpoint;
            }
            else if (ingress.DefaultEndpoint.Length > 0)
            {
                if (!TryParseHostPort(ingress.DefaultEndpoint, out var host, out endpointPort))
                {
                    continue;
                }

                address = host switch
                {
                    "0.0.0.0" => FirstIp(AddressFamily.InterNetwork) ?? Localhost,
                    "::" => FirstIp(AddressFamily.InterNetworkV6) ?? "::1",
                    _ => host,
                };
            }

            var served = targets.Where(t => t.Port == port).OrderBy(e => e.Hostname, StringComparer.Ordinal).Take(1).ToList();
            yield return Build(port, address, endpointPort, PortProtocols.Parse(ingress.Port.Protocol), served);
        }
    }

    private Cluster Build(uint port, string? address, uint endpointPort, PortProtocol protocol, List<ServiceEndpoint> served)
    {
        var name = ClusterNames.Inbound(port);
        var cluster = new Cluster { Name = name, Type = address == null ? DiscoveryType.OriginalDst : DiscoveryType.Static };
        if (address != null)
        {
            cluster.LoadAssignment = new ClusterLoadAssignment
            {
                ClusterName = name,
                Endpoints = { new LocalityLbEndpoints { LbEndpoints = { new LbEndpoint { Endpoint = new Endpoint { Address = LocalityEndpoints.Address(address, endpointPort) } } } } },
            };
        }
        else
        {
            cluster.CleanupInterval = NoCleanup;
            cluster.LbPolicy = Cluster.Types.LbPolicy.ClusterProvided;
        }

        var http = new UpstreamHttpOptions();
        http.SetProtocolFor(protocol, sidecar: true);
        var services = served.Select(e => snapshot.Registry.Service(e.ServiceNamespace, e.Hostname)).OfType<MeshService>().DistinctBy(s => s.Hostname).ToList();
        var rule = services.Count > 0 ? DestinationRuleIndex.Of(snapshot).For(proxy, services[0], TrafficDirection.Inbound) : null;
        var pool = rule?.Rule.TrafficPolicy is { } policy ? TrafficPolicies.ForPort(policy, served[0].ServicePort)?.ConnectionPool : null;
        ClusterTrafficPolicy.ApplyConnectionPool(cluster, http, SidecarConnectionPool(port) ?? pool, snapshot.Mesh);
        if (services.Count > 0)
        {
            ClusterMetadata.AddServices(cluster, services.Where(s => !s.IsMeshExternal));
        }

        if (rule?.Rule.TrafficPolicy != null)
        {
            ClusterMetadata.AddRule(cluster, rule, string.Empty);
        }

        http.WriteTo(cluster);
        return cluster;
    }

    /// <summary>Istio's InboundConnectionPoolForPort: the ingress listener's pool for the port, else the Sidecar's inbound pool; it overrides the rule's.</summary>
    private ConnectionPoolSettings? SidecarConnectionPool(uint port) =>
        _sidecar?.Ingress.FirstOrDefault(i => i.Port?.Number == port && i.ConnectionPool != null)?.ConnectionPool ?? _sidecar?.InboundConnectionPool;

    private PortProtocol ServicePortProtocol(ServiceEndpoint endpoint) =>
        snapshot.Registry.Service(endpoint.ServiceNamespace, endpoint.Hostname)?.Port(endpoint.ServicePort)?.Protocol ?? PortProtocol.Unsupported;

    /// <summary>Istio's port-name convention (<c>http</c>, <c>grpc-api</c>): the protocol is the name up to the first dash.</summary>
    private static PortProtocol ProtocolFromPortName(string name) => PortProtocols.Parse(name.Split('-')[0]);

    private string? FirstIp(AddressFamily family) =>
        proxy.IpAddresses.FirstOrDefault(ip => IPAddress.TryParse(ip, out var a) && a.AddressFamily == family);

    private static bool TryParseHostPort(string value, out string host, out uint port)
    {
        host = string.Empty;
        port = 0;
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !uint.TryParse(value.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port))
        {
            return false;
        }

        host = value[..colon].Trim('[', ']');
        return true;
    }
}
