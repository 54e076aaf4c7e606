using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// What a VirtualService as a whole must hold (ValidateVirtualService): some http, tcp or tls routes; and a
/// delegate VirtualService (one without hosts) carries HTTP routes only, with no gateways.
/// </summary>
public sealed class VirtualServiceShapeRule : SpecRule<VirtualService>
{
    protected override void Check(VirtualService spec, RuleContext context)
    {
        if (spec.Hosts.IsEmpty)
        {
            if (!spec.Gateways.IsEmpty)
            {
                context.Error("spec.gateways", "delegate virtual service (one without hosts) must have no gateways specified");
            }

            if (!spec.Tls.IsEmpty)
            {
                context.Error("spec.tls", "delegate virtual service (one without hosts) must have no tls route specified");
            }

            if (!spec.Tcp.IsEmpty)
            {
                context.Error("spec.tcp", "delegate virtual service (one without hosts) must have no tcp route specified");
            }
        }

        if (spec.Http.IsEmpty && spec.Tcp.IsEmpty && spec.Tls.IsEmpty)
        {
            context.Error("spec", "http, tcp or tls must be provided in virtual service");
        }
    }
}
