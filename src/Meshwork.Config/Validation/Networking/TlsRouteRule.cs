using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// TLS routes (validateTLSRoute, validateTLSMatch, validateSniHost): at least one match, each with SNI hosts
/// that fall within the VirtualService's hosts (an IP address is only a warning), subnets as CIDR or IP,
/// a valid port, source labels and gateways; and a route.
/// </summary>
public sealed class TlsRouteRule : SpecRule<VirtualService>
{
    protected override void Check(VirtualService spec, RuleContext context)
    {
        for (var i = 0; i < spec.Tls.Count; i++)
        {
            var route = spec.Tls[i];
            var path = $"spec.tls[{i}]";
            if (route.Match.IsEmpty)
            {
                context.Error(path, "TLS route must have at least one match condition");
            }

            for (var j = 0; j < route.Match.Count; j++)
            {
                CheckMatch(route.Match[j], $"{path}.match[{j}]", spec, context);
            }

            if (route.Route.IsEmpty)
            {
                context.Error(path, "TLS route is required: add a route with at least one destination");
            }
        }
    }

    private static void CheckMatch(TlsMatchAttributes match, string path, VirtualService spec, RuleContext context)
    {
        if (match.SniHosts.IsEmpty)
        {
            context.Error(path, "TLS match must have at least one SNI host");
        }

        for (var k = 0; k < match.SniHosts.Count; k++)
        {
            CheckSniHost(match.SniHosts[k], $"{path}.sniHosts[{k}]", spec, context);
        }

        L4Match.Check(match.DestinationSubnets, match.Port, match.SourceLabels, match.Gateways, path, context);
    }

    private static void CheckSniHost(string sni, string path, VirtualService spec, RuleContext context)
    {
        // Istio validates as for a gateway unless mesh is listed, so also when no gateway is.
        var error = RoutingChecks.ListsNoMesh(spec) ? RoutingChecks.GatewayBoundDomain(sni, sni: true) : Checks.WildcardDomain(sni);
        if (error != null)
        {
            if (Checks.IsIpAddress(sni))
            {
                context.Warning(path, $"using an IP address (\"{sni}\") goes against SNI spec and most clients do not support this");
            }
            else
            {
                context.Error(path, $"invalid SNI host \"{sni}\": {error}");
            }

            return;
        }

        if (!spec.Hosts.Any(host => RoutingChecks.HostIsSubsetOf(sni, host)))
        {
            context.Error(path, $"SNI host \"{sni}\" is not a compatible subset of any of the virtual service hosts: [{string.Join(", ", spec.Hosts)}]");
        }
    }
}
