using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>The rule's host: an FQDN or short name, optionally with a wildcard first label (Istio's ValidateWildcardDomain).</summary>
public sealed class DestinationRuleHostRule : SpecRule<DestinationRule>
{
    protected override void Check(DestinationRule spec, RuleContext context)
    {
        if (spec.Host.Length == 0)
        {
            context.Error("spec.host", "required: the name of a service from the service registry");
            return;
        }

        if (Checks.WildcardDomain(spec.Host) is { } error)
        {
            context.Error("spec.host", $"invalid host \"{spec.Host}\": {error}");
        }
    }
}
