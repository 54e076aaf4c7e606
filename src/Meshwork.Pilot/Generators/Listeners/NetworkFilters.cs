using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Listener.TlsInspector.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Networking;
using Meshwork.Pilot.Generators.Routes;
using Meshwork.Registry.Model;

namespace Meshwork.Pilot.Generators.Listeners;

/// <summary>
/// tcp_proxy filters for TCP and TLS routes (Istio's buildOutboundNetworkFilters): one destination
/// is a cluster named after it; several become weighted clusters (zero weights dropped) under the
/// stat prefix <c>vsName.namespace</c>. Also the listener parts SNI matching needs.
/// </summary>
internal static class NetworkFilters
{
    public const string TcpProxyFilter = "envoy.filters.network.tcp_proxy";
    public const string TlsInspectorFilter = "envoy.filters.listener.tls_inspector";

    public static Filter TcpProxy(string cluster) =>
        new() { Name = TcpProxyFilter, TypedConfig = Any.Pack(new TcpProxy { StatPrefix = cluster, Cluster = cluster }) };

    /// <summary>The tcp_proxy for a route's destinations, or null when none is left to send to.</summary>
    public static Filter? TcpProxy(IReadOnlyList<RouteDestination> routes, uint port, string virtualServiceName, string virtualServiceNamespace, Func<string, MeshService?> serviceFor)
    {
        var destinations = routes.Where(r => r.Destination != null).ToList();
        if (destinations.Count == 0)
        {
            return null;
        }

        if (destinations.Count == 1)
        {
            var only = destinations[0].Destination!;
            return TcpProxy(ClusterNames.ForDestination(only, serviceFor(only.Host), port));
        }

        var weighted = new TcpProxy.Types.WeightedCluster();
        foreach (var route in destinations.Where(r => r.Weight > 0))
        {
            weighted.Clusters.Add(new TcpProxy.Types.WeightedCluster.Types.ClusterWeight
            {
                Name = ClusterNames.ForDestination(route.Destination!, serviceFor(route.Destination!.Host), port),
                Weight = (uint)route.Weight,
            });
        }

        if (weighted.Clusters.Count == 0)
        {
            return null;
        }

        var proxy = new TcpProxy { StatPrefix = $"{virtualServiceName}.{virtualServiceNamespace}", WeightedClusters = weighted };
        return new Filter { Name = TcpProxyFilter, TypedConfig = Any.Pack(proxy) };
    }

    /// <summary>Reads the ClientHello so filter chains can match server_names; needed on any listener that matches on SNI.</summary>
    public static ListenerFilter TlsInspector() => new() { Name = TlsInspectorFilter, TypedConfig = Any.Pack(new TlsInspector()) };

    /// <summary>Adds the TLS inspector when a chain matches on SNI (or terminates TLS), as Envoy otherwise never sees the SNI.</summary>
    public static void AddTlsInspectorIfNeeded(Listener listener)
    {
        if (listener.FilterChains.Any(c => c.FilterChainMatch?.ServerNames.Count > 0 || c.TransportSocket != null))
        {
            listener.ListenerFilters.Add(TlsInspector());
        }
    }

    /// <summary>A destination subnet (<c>10.0.0.0/16</c>, or a bare IP as /32 or /128) as Envoy's CidrRange.</summary>
    public static CidrRange? Cidr(string subnet)
    {
        var slash = subnet.IndexOf('/', StringComparison.Ordinal);
        var address = slash < 0 ? subnet : subnet[..slash];
        if (!System.Net.IPAddress.TryParse(address, out var ip))
        {
            return null;
        }

        var maxLength = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128u : 32u;
        var length = slash < 0 ? maxLength : uint.TryParse(subnet.AsSpan(slash + 1), out var parsed) ? Math.Min(parsed, maxLength) : maxLength;
        return new CidrRange { AddressPrefix = address, PrefixLen = length };
    }

    public static Address SocketAddress(string ip, uint port) =>
        new() { SocketAddress = new Envoy.Config.Core.V3.SocketAddress { Address = ip, PortValue = port } };
}
