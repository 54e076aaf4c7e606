using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>HTTP route timeouts: at least 1ms, in whole milliseconds. Istio rejects <c>0s</c> too; leave the field out to have no timeout.</summary>
public sealed class HttpTimeoutRule : SpecRule<VirtualService>
{
    protected override void Check(VirtualService spec, RuleContext context)
    {
        for (var i = 0; i < spec.Http.Count; i++)
        {
            if (spec.Http[i].Timeout is { } timeout && Checks.Duration(timeout) is { } error)
            {
                context.Error($"spec.http[{i}].timeout", error);
            }
        }
    }
}
