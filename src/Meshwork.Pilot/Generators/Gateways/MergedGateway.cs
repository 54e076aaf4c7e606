using System.Globalization;
using Meshwork.Config.Networking;
using Meshwork.Config.Resources;
using Meshwork.Config.Validation.Networking;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Generators.Gateways;

/// <summary>How a gateway server is served on its port.</summary>
internal enum ServerKind
{
    /// <summary>Plain HTTP: every HTTP server on the port shares one HCM and the route table <c>http.PORT</c>.</summary>
    Http,

    /// <summary>HTTPS terminated here (SIMPLE/MUTUAL): a filter chain per server, matched by SNI, with its own route table.</summary>
    HttpsTerminated,

    /// <summary>TLS not terminated (PASSTHROUGH): filter chains per TLS route, matched by SNI, to tcp_proxy.</summary>
    TlsPassthrough,

    /// <summary>TLS terminated here for TCP traffic (protocol TLS, SIMPLE/MUTUAL): TCP routes behind a TLS context.</summary>
    TlsTerminated,

    /// <summary>Opaque TCP: the first matching TCP route.</summary>
    Tcp,
}

/// <summary>One Gateway server as a router serves it: the gateway's <c>ns/name</c>, the server, and the route table it uses.</summary>
internal sealed record GatewayServer(string GatewayName, string GatewayNamespace, Server Server, ServerKind Kind, string RouteName)
{
    public uint Port => Server.Port?.Number ?? 0;

    /// <summary>The server's hosts without namespace; a <c>*</c> among them means "any SNI" (none to match on).</summary>
    public IReadOnlyList<string> SniHosts
    {
        get
        {
            var hosts = Server.Hosts.Select(h => h.Contains('/', StringComparison.Ordinal) ? h[(h.IndexOf('/', StringComparison.Ordinal) + 1)..] : h).Distinct(StringComparer.Ordinal).ToList();
            return hosts.Contains("*") ? [] : hosts;
        }
    }

    public bool IsTlsTerminated => Kind is ServerKind.HttpsTerminated or ServerKind.TlsTerminated;

    /// <summary>Istio's NamesForNamespace: hosts written <c>ns/host</c> count only for VirtualServices in <c>ns</c> (any for <c>*</c>).</summary>
    public IReadOnlyList<string> HostsFor(string virtualServiceNamespace)
    {
        var hosts = new List<string>();
        foreach (var host in Server.Hosts)
        {
            var slash = host.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
            {
                hosts.Add(host);
            }
            else if (host[..slash] == "*" || host[..slash] == virtualServiceNamespace)
            {
                hosts.Add(host[(slash + 1)..]);
            }
        }

        return hosts;
    }
}

/// <summary>The servers a router listens with on one address and port.</summary>
internal sealed record GatewayPort(uint Number, string Bind, IReadOnlyList<GatewayServer> Servers)
{
    public string ListenerName => $"{Address}_{Number}";

    public string Address => Bind.Length > 0 ? Bind : "0.0.0.0";
}

/// <summary>
/// The Gateways that select a router (their selector labels are a subset of its labels; an empty
/// selector selects every router), merged per port as Istio's MergeGateways does: plain HTTP servers
/// on a port share one route table, HTTPS/TLS servers on a port share the listener by SNI, and a
/// server whose kind conflicts with what the port already serves is dropped.
/// </summary>
internal static class MergedGateway
{
    public static IReadOnlyList<GatewayPort> For(MeshSnapshot snapshot, ProxyNode proxy)
    {
        var gateways = snapshot.Config.OfKind(ResourceKinds.Gateway)
            .Where(g => g.SpecAs<Gateway>().Selector.All(l => proxy.Labels.TryGetValue(l.Key, out var value) && value == l.Value))
            .OrderBy(g => g.Metadata.CreationTimestamp, StringComparer.Ordinal)
            .ThenBy(g => g.Name, StringComparer.Ordinal)
            .ThenBy(g => g.Namespace, StringComparer.Ordinal);

        var ports = new List<(uint Number, string Bind, List<GatewayServer> Servers)>();
        foreach (var gateway in gateways)
        {
            foreach (var server in gateway.SpecAs<Gateway>().Servers)
            {
                if (server.Port is not { Number: > 0 } port || server.Bind.StartsWith("unix://", StringComparison.Ordinal))
                {
                    continue;
                }

                var kind = KindOf(server);
                var resolved = server with { Hosts = new Config.Values.ValueList<string>(server.Hosts.Select(h => h.StartsWith("./", StringComparison.Ordinal) ? gateway.Namespace + h[1..] : h)) };
                var entry = new GatewayServer($"{gateway.Namespace}/{gateway.Name}", gateway.Namespace, resolved, kind, RouteName(resolved, kind, gateway));
                var existing = ports.FindIndex(p => p.Number == port.Number && p.Bind == server.Bind);
                if (existing < 0)
                {
                    ports.Add((port.Number, server.Bind, [entry]));
                }
                else if (CanShare(ports[existing].Servers[0].Kind, kind))
                {
                    ports[existing].Servers.Add(entry);
                }
            }
        }

        return ports.Select(p => new GatewayPort(p.Number, p.Bind, p.Servers)).OrderBy(p => p.ListenerName, StringComparer.Ordinal).ToList();
    }

    /// <summary>Istio's gatewayRDSRouteName: <c>http.PORT</c> for plain HTTP, <c>https.PORT.PORTNAME.GATEWAY.NS</c> for terminated HTTPS, none otherwise.</summary>
    private static string RouteName(Server server, ServerKind kind, ConfigResource gateway)
    {
        var bind = server.Bind.Length > 0 ? "." + server.Bind : string.Empty;
        var number = server.Port!.Number.ToString(CultureInfo.InvariantCulture);
        return kind switch
        {
            ServerKind.Http => $"http.{number}{bind}",
            ServerKind.HttpsTerminated => $"https.{number}.{server.Port.Name}.{gateway.Name}.{gateway.Namespace}{bind}",
            _ => string.Empty,
        };
    }

    private static ServerKind KindOf(Server server)
    {
        var protocol = PortProtocols.Parse(server.Port!.Protocol);
        var passthrough = server.Tls is { Mode: ServerTlsMode.Passthrough or ServerTlsMode.AutoPassthrough };
        return protocol switch
        {
            _ when protocol.IsHttp() => ServerKind.Http,
            PortProtocol.Https => passthrough || server.Tls == null ? ServerKind.TlsPassthrough : ServerKind.HttpsTerminated,
            PortProtocol.Tls => passthrough || server.Tls == null ? ServerKind.TlsPassthrough : ServerKind.TlsTerminated,
            _ => ServerKind.Tcp,
        };
    }

    /// <summary>Plain HTTP shares with plain HTTP, TLS-based servers share by SNI; TCP and mixes conflict.</summary>
    private static bool CanShare(ServerKind first, ServerKind next) =>
        (first == ServerKind.Http && next == ServerKind.Http)
        || (first is ServerKind.HttpsTerminated or ServerKind.TlsPassthrough or ServerKind.TlsTerminated
            && next is ServerKind.HttpsTerminated or ServerKind.TlsPassthrough or ServerKind.TlsTerminated);
}
