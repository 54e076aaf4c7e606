using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>The gateways a VirtualService names: <c>mesh</c>, <c>name</c> or <c>namespace/name</c> (validateGatewayNames).</summary>
public sealed class VirtualServiceGatewaysRule : SpecRule<VirtualService>
{
    protected override void Check(VirtualService spec, RuleContext context) =>
        RoutingChecks.GatewayNames(spec.Gateways, "spec.gateways", context);
}
