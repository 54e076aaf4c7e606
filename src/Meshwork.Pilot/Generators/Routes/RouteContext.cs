using Meshwork.Config.Mesh;
using Meshwork.Pilot.Model;
using Meshwork.Registry.Model;

namespace Meshwork.Pilot.Generators.Routes;

/// <summary>
/// What translating one VirtualService's HTTP routes for one listener port needs: the proxy (labels,
/// namespace, proxyless or not), the mesh defaults, the port the routes serve, whether the listener
/// terminated TLS, the gateway names rules may bind to (<c>mesh</c> for sidecars), how to find a
/// destination's service (for its default port) and the DestinationRules (for hash policies).
/// </summary>
internal sealed record RouteContext(
    ProxyNode Proxy,
    MeshConfig Mesh,
    uint Port,
    bool IsTls,
    IReadOnlySet<string> GatewayNames,
    Func<string, MeshService?> ServiceFor,
    DestinationRuleLookup Rules)
{
    public bool IsProxyless => Proxy.IsProxylessGrpc;
}

/// <summary>Istio's cluster names, as routes and listeners refer to clusters (CDS builds them under the same names).</summary>
internal static class ClusterNames
{
    public const string BlackHole = "BlackHoleCluster";
    public const string Passthrough = "PassthroughCluster";

    public static string Outbound(uint port, string subset, string host) => $"outbound|{port}|{subset}|{host}";

    public static string Inbound(uint port) => $"inbound|{port}||";

    /// <summary>Istio's GetDestinationCluster: the destination's port, else the service's only port, else the listener port.</summary>
    public static string ForDestination(Config.Networking.Destination destination, MeshService? service, uint listenerPort)
    {
        var port = destination.Port != null ? destination.Port.Number
            : service is { Ports.Count: 1 } ? service.Ports[0].Number
            : listenerPort;
        return Outbound(port, destination.Subset, destination.Host);
    }

    /// <summary>Host and port of an <c>outbound|PORT|SUBSET|HOST</c> name, or null for any other name.</summary>
    public static (string Host, uint Port)? ParseOutbound(string cluster)
    {
        var parts = cluster.Split('|');
        return parts.Length == 4 && parts[0] == "outbound" && uint.TryParse(parts[1], out var port) ? (parts[3], port) : null;
    }
}
