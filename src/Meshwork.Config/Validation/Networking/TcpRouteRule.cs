using Meshwork.Config.Networking;
using Meshwork.Config.Values;

namespace Meshwork.Config.Validation.Networking;

/// <summary>TCP routes (validateTCPRoute, validateTCPMatch): matches with subnets as CIDR or IP, a valid port, source labels and gateways; and a route.</summary>
public sealed class TcpRouteRule : SpecRule<VirtualService>
{
    protected override void Check(VirtualService spec, RuleContext context)
    {
        for (var i = 0; i < spec.Tcp.Count; i++)
        {
            var route = spec.Tcp[i];
            var path = $"spec.tcp[{i}]";
            for (var j = 0; j < route.Match.Count; j++)
            {
                var match = route.Match[j];
                L4Match.Check(match.DestinationSubnets, match.Port, match.SourceLabels, match.Gateways, $"{path}.match[{j}]", context);
            }

            if (route.Route.IsEmpty)
            {
                context.Error(path, "TCP route is required: add a route with at least one destination");
            }
        }
    }
}

/// <summary>What TCP and TLS matches share: destination subnets, port, source labels and gateways.</summary>
internal static class L4Match
{
    public static void Check(ValueList<string> subnets, uint port, ValueMap<string, string> sourceLabels, ValueList<string> gateways, string path, RuleContext context)
    {
        for (var k = 0; k < subnets.Count; k++)
        {
            if (Checks.IpSubnet(subnets[k]) is { } error)
            {
                context.Error($"{path}.destinationSubnets[{k}]", error);
            }
        }

        if (port != 0 && Checks.Port(port) is { } portError)
        {
            context.Error(path + ".port", portError);
        }

        foreach (var (key, message) in Checks.Labels(sourceLabels))
        {
            context.Error($"{path}.sourceLabels[{key}]", message);
        }

        RoutingChecks.GatewayNames(gateways, path + ".gateways", context);
    }
}
