using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Istio's validateServer, hosts part: each server names at least one host, as <c>dnsName</c> or
/// <c>namespace/dnsName</c> (namespace <c>*</c>, <c>.</c> or a DNS label); an IP is also accepted.
/// </summary>
public sealed class GatewayServerHostsRule : SpecRule<Gateway>
{
    protected override void Check(Gateway spec, RuleContext context)
    {
        for (var i = 0; i < spec.Servers.Count; i++)
        {
            var hosts = spec.Servers[i].Hosts;
            if (hosts.IsEmpty)
            {
                context.Error($"spec.servers[{i}].hosts", "server config must contain at least one host");
                continue;
            }

            for (var j = 0; j < hosts.Count; j++)
            {
                foreach (var message in Checks.NamespaceSlashWildcardHostname(hosts[j], isGateway: true).Distinct())
                {
                    context.Error($"spec.servers[{i}].hosts[{j}]", $"invalid host \"{hosts[j]}\": {message}");
                }
            }
        }
    }
}
