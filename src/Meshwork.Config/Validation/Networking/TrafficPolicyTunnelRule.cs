using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>Tunnel settings (Istio's validateTunnelSettings): CONNECT or POST, an FQDN or IP target, a valid target port.</summary>
public sealed class TrafficPolicyTunnelRule : SpecRule<DestinationRule>
{
    protected override void Check(DestinationRule spec, RuleContext context)
    {
        foreach (var (policyPath, policy) in DestinationRulePolicies.WellShaped(spec))
        {
            if (policy.Tunnel is not { } tunnel)
            {
                continue;
            }

            var path = policyPath + ".tunnel";
            if (tunnel.Protocol is not ("" or "CONNECT" or "POST"))
            {
                context.Error(path + ".protocol", $"tunnel protocol must be \"CONNECT\" or \"POST\", got \"{tunnel.Protocol}\"");
            }

            if (Checks.Fqdn(tunnel.TargetHost) is { } fqdnError && Checks.IpAddress(tunnel.TargetHost) is { } ipError)
            {
                context.Error(path + ".targetHost", $"tunnel target host must be valid FQDN or IP address: {fqdnError}; {ipError}");
            }

            if (Checks.Port(tunnel.TargetPort) is { } portError)
            {
                context.Error(path + ".targetPort", $"tunnel target port is invalid: {portError}");
            }
        }
    }
}
