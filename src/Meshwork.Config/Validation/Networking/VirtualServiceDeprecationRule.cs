using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Warnings for deprecated VirtualService fields that still take effect. Istio warns for
/// <c>mirrorPercent</c>; Meshwork also warns for <c>corsPolicy.allowOrigin</c> and <c>fault.delay.percent</c>,
/// which Istio accepts silently.
/// </summary>
public sealed class VirtualServiceDeprecationRule : SpecRule<VirtualService>
{
    protected override void Check(VirtualService spec, RuleContext context)
    {
        for (var i = 0; i < spec.Http.Count; i++)
        {
            var route = spec.Http[i];
            var path = $"spec.http[{i}]";
            if (route.MirrorPercent != null)
            {
                context.Warning(path + ".mirrorPercent", "using deprecated setting \"mirrorPercent\", use \"mirrorPercentage\" instead");
            }

            if (route.CorsPolicy is { AllowOrigin.IsEmpty: false })
            {
                context.Warning(path + ".corsPolicy.allowOrigin", "using deprecated setting \"allowOrigin\", use \"allowOrigins\" instead");
            }

            if (route.Fault?.Delay is { Percent: not 0 })
            {
                context.Warning(path + ".fault.delay.percent", "using deprecated setting \"percent\", use \"percentage\" instead");
            }
        }
    }
}
