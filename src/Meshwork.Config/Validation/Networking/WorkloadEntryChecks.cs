using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Istio's validateWorkloadEntry, shared by WorkloadEntry resources and the STATIC endpoints of a
/// ServiceEntry: an address (IP, FQDN or <c>unix://</c> socket) unless a network is set, valid port
/// names and numbers, and valid labels.
/// </summary>
public static class WorkloadEntryChecks
{
    public const string UnixPrefix = "unix://";

    /// <param name="entry">The entry to check.</param>
    /// <param name="path">Where it is, e.g. <c>spec</c> or <c>spec.endpoints[2]</c>.</param>
    /// <param name="servicePorts">The ServiceEntry's port names the entry's ports must come from; null for a standalone WorkloadEntry.</param>
    /// <param name="allowFqdn">Whether a DNS name is an acceptable address (not for STATIC endpoints).</param>
    /// <param name="context">Where to report.</param>
    public static void Check(WorkloadEntry entry, string path, IReadOnlySet<string>? servicePorts, bool allowFqdn, RuleContext context)
    {
        var address = entry.Address;
        if (address.Length == 0)
        {
            if (entry.Network.Length == 0)
            {
                context.Error($"{path}.address", "address is required unless network is set");
                return;
            }

            context.Warning($"{path}.network", $"address is unset with network \"{entry.Network}\"");
        }

        var unix = address.StartsWith(UnixPrefix, StringComparison.Ordinal);
        if (unix)
        {
            if (UnixSockets.Check(address[UnixPrefix.Length..]) is { } socketError)
            {
                context.Error($"{path}.address", socketError);
            }

            if (!entry.Ports.IsEmpty)
            {
                context.Error($"{path}.ports", $"unix endpoint {address} must not include ports");
            }
        }
        else if (address.Length > 0 && !Checks.IsIpAddress(address))
        {
            if (!allowFqdn)
            {
                context.Error($"{path}.address", $"endpoint address \"{address}\" is not a valid IP address");
            }
            else if (Checks.Fqdn(address) != null)
            {
                context.Error($"{path}.address", $"endpoint address \"{address}\" is not a valid FQDN or an IP address");
            }
        }

        CheckPorts(entry, path, servicePorts, context);
        CheckLabels(entry, path, context);

        if (unix && servicePorts != null && servicePorts.Count != 1)
        {
            context.Error($"{path}.address", $"exactly 1 service port required for unix endpoints, got {servicePorts.Count}");
        }
    }

    /// <summary>Each port name is one of the service's (when known) and a DNS label, each number in 1..65535.</summary>
    public static void CheckPorts(WorkloadEntry entry, string path, IReadOnlySet<string>? servicePorts, RuleContext context)
    {
        foreach (var (name, number) in entry.Ports)
        {
            var portPath = $"{path}.ports[{name}]";
            if (servicePorts != null && !servicePorts.Contains(name))
            {
                context.Error(portPath, $"endpoint port \"{name}\" is not defined by the service entry");
            }

            if (!Checks.IsDns1123Label(name))
            {
                context.Error(portPath, $"invalid port name \"{name}\": must be a DNS-1123 label");
            }

            if (Checks.Port(number) is { } portError)
            {
                context.Error(portPath, portError);
            }
        }
    }

    public static void CheckLabels(WorkloadEntry entry, string path, RuleContext context)
    {
        foreach (var (key, message) in Checks.Labels(entry.Labels))
        {
            context.Error($"{path}.labels[{key}]", message);
        }
    }
}

/// <summary>Istio's ValidateUnixAddress for the part after <c>unix://</c>: an absolute file path, or <c>@name</c> in the abstract namespace.</summary>
public static class UnixSockets
{
    public static string? Check(string address)
    {
        if (address.Length == 0)
        {
            return "unix address must not be empty";
        }

        if (address.StartsWith('@'))
        {
            return null;
        }

        // Unix-style paths whatever the OS Meshwork runs on, as Istio does with Go's path package.
        return !address.StartsWith('/') || address.EndsWith('/') ? $"{address} is not an absolute path to a file" : null;
    }
}
