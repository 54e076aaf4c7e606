using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// VirtualService hosts (ValidateVirtualService): each a domain with an optional leading wildcard, a short
/// name or an IP address; <c>*</c> only when no sidecar applies it; no two hosts that overlap.
/// </summary>
public sealed class VirtualServiceHostsRule : SpecRule<VirtualService>
{
    protected override void Check(VirtualService spec, RuleContext context)
    {
        var gatewayOnly = RoutingChecks.AppliesToGatewayOnly(spec);
        var sni = RoutingChecks.HasSniHosts(spec);
        var allValid = true;
        for (var i = 0; i < spec.Hosts.Count; i++)
        {
            var host = spec.Hosts[i];
            var error = gatewayOnly ? RoutingChecks.GatewayBoundDomain(host, sni) : Checks.WildcardDomain(host);
            if (error != null)
            {
                if (!Checks.IsIpAddress(host))
                {
                    context.Error($"spec.hosts[{i}]", $"invalid host \"{host}\": {error}");
                    allValid = false;
                }
            }
            else if (!gatewayOnly && host == "*")
            {
                context.Error($"spec.hosts[{i}]", "wildcard host * is not allowed for virtual services bound to the mesh gateway");
                allValid = false;
            }
        }

        if (!allValid)
        {
            return;
        }

        // Overlap counts as duplication: *.foo.com and *.com in one VirtualService are duplicates.
        for (var i = 0; i < spec.Hosts.Count; i++)
        {
            for (var j = i + 1; j < spec.Hosts.Count; j++)
            {
                if (RoutingChecks.HostsOverlap(spec.Hosts[i], spec.Hosts[j]))
                {
                    context.Error($"spec.hosts[{j}]", $"duplicate hosts in virtual service: {spec.Hosts[i]} & {spec.Hosts[j]}");
                }
            }
        }
    }
}
