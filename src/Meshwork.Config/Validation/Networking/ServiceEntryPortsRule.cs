using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Istio's ValidateServiceEntry, ports part: names and numbers unique, names DNS labels, numbers and
/// target ports in 1..65535, protocols known (empty means sniffing); and a warning when a TCP (or
/// unset) port has no address to tell its traffic apart and no address will be auto-allocated.
/// </summary>
public sealed class ServiceEntryPortsRule : SpecRule<ServiceEntry>
{
    /// <summary>The label that opts a ServiceEntry out of IP auto-allocation.</summary>
    public const string AutoAllocateLabel = "networking.istio.io/enable-autoallocate-ip";

    protected override void Check(ServiceEntry spec, RuleContext context)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var numbers = new HashSet<uint>();
        var autoAllocation = AutoAllocatesAddresses(spec, context);
        for (var i = 0; i < spec.Ports.Count; i++)
        {
            var port = spec.Ports[i];
            var path = $"spec.ports[{i}]";
            if (!names.Add(port.Name))
            {
                context.Error($"{path}.name", $"service entry port name \"{port.Name}\" already defined");
            }

            if (!numbers.Add(port.Number))
            {
                context.Error($"{path}.number", $"service entry port {port.Number} already defined");
            }

            if (port.TargetPort != 0 && Checks.Port(port.TargetPort) is { } targetError)
            {
                context.Error($"{path}.targetPort", targetError);
            }

            // Istio compares the protocol exactly here: "tcp" in lower case draws no warning.
            if (spec.Addresses.IsEmpty && !autoAllocation && port.Protocol is "" or "TCP")
            {
                context.Warning(path, "addresses are required for ports serving TCP (or unset) protocol when IP Autoallocation is not enabled");
            }

            if (!Checks.IsDns1123Label(port.Name))
            {
                context.Error($"{path}.name", $"invalid port name \"{port.Name}\": must be a DNS-1123 label");
            }

            if (port.Protocol.Length > 0 && PortProtocols.Parse(port.Protocol) == PortProtocol.Unsupported)
            {
                context.Error($"{path}.protocol", $"unsupported protocol \"{port.Protocol}\", expected one of {PortProtocols.Supported} (or unset to sniff)");
            }

            if (Checks.Port(port.Number) is { } numberError)
            {
                context.Error($"{path}.number", numberError);
            }
        }
    }

    /// <summary>
    /// Istio's ShouldV2AutoAllocateIP with its defaults (PILOT_ENABLE_IP_AUTOALLOCATE on): addresses are
    /// allocated unless resolution is NONE, the user opted out by label, or the entry has addresses.
    /// </summary>
    public static bool AutoAllocatesAddresses(ServiceEntry spec, RuleContext context) =>
        spec.Resolution != ServiceEntryResolution.None &&
        !(context.Resource.Metadata.Labels.TryGetValue(AutoAllocateLabel, out var value) && value.Equals("false", StringComparison.OrdinalIgnoreCase)) &&
        spec.Addresses.IsEmpty;
}
