using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>Istio's ValidateServiceEntry, addresses part: each an IP or CIDR block, and CIDR blocks only with NONE or STATIC resolution.</summary>
public sealed class ServiceEntryAddressesRule : SpecRule<ServiceEntry>
{
    protected override void Check(ServiceEntry spec, RuleContext context)
    {
        var firstCidr = -1;
        for (var i = 0; i < spec.Addresses.Count; i++)
        {
            var address = spec.Addresses[i];
            if (firstCidr < 0 && address.Contains('/', StringComparison.Ordinal))
            {
                firstCidr = i;
            }

            if (Checks.IpSubnet(address) is { } error)
            {
                context.Error($"spec.addresses[{i}]", error);
            }
        }

        if (firstCidr >= 0 && spec.Resolution is not (ServiceEntryResolution.None or ServiceEntryResolution.Static))
        {
            context.Error($"spec.addresses[{firstCidr}]", $"CIDR addresses are allowed only for NONE/STATIC resolution types, got {Binding.WireNames.Of(spec.Resolution)}");
        }
    }
}
