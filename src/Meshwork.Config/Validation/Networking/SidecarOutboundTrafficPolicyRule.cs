using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>The outbound traffic policy: an egress proxy only with ALLOW_ANY, as an FQDN destination with a port.</summary>
public sealed class SidecarOutboundTrafficPolicyRule : SpecRule<Sidecar>
{
    protected override void Check(Sidecar spec, RuleContext context)
    {
        if (!SidecarPreconditions.Hold(spec) || spec.OutboundTrafficPolicy is not { EgressProxy: { } proxy } policy)
        {
            return;
        }

        const string path = "spec.outboundTrafficPolicy.egressProxy";
        if (policy.Mode != OutboundTrafficPolicyMode.AllowAny)
        {
            context.Error(path, "egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode");
            return;
        }

        // Istio checks the host as an FQDN, then again as a destination (wildcards allowed); one report is enough.
        var hostError = Checks.Fqdn(proxy.Host);
        if (hostError != null)
        {
            context.Error(path + ".host", $"invalid host \"{proxy.Host}\": {hostError}");
        }

        if (proxy.Port == null)
        {
            context.Error(path + ".port", "egress_proxy port must be non-nil");
            return;
        }

        if (proxy.Subset.Length > 0 && !Checks.IsDns1123Label(proxy.Subset))
        {
            context.Error(path + ".subset", $"subset name is invalid: \"{proxy.Subset}\" is not a DNS-1123 label");
        }

        if (Checks.Port(proxy.Port.Number) is { } portError)
        {
            context.Error(path + ".port.number", portError);
        }
    }
}
