using System.Globalization;

namespace Meshwork.Config.Validation.Networking;

/// <summary>The port, protocol, bind and endpoint checks of Sidecar listeners, with Istio's wording.</summary>
internal static class SidecarPortChecks
{
    public const string UnixPrefix = "unix://";

    public static bool IsHttp(string protocol) => PortProtocols.Parse(protocol).IsHttp();

    public static bool IsTls(string protocol) => PortProtocols.Parse(protocol).IsTls();

    /// <summary>Istio's ValidateProtocol: empty means "detect", anything else must be known.</summary>
    public static string? Protocol(string protocol) =>
        protocol.Length > 0 && PortProtocols.Parse(protocol) == PortProtocol.Unsupported
            ? $"unsupported protocol \"{protocol}\", expected one of {PortProtocols.Supported} (or unset to sniff)"
            : null;

    /// <summary>Istio's ValidatePortName (called only for names that were given).</summary>
    public static string? PortName(string name) => Checks.IsDns1123Label(name) ? null : $"invalid port name: {name}";

    /// <summary>The checks ingress and egress listener ports share: no targetPort, a valid name and a known protocol.</summary>
    public static void CheckNameAndProtocol(RuleContext context, string path, Meshwork.Config.Networking.SidecarPort port)
    {
        if (port.TargetPort > 0)
        {
            context.Error(path + ".port.targetPort", "targetPort has no impact on Sidecars");
        }

        if (port.Name.Length > 0 && PortName(port.Name) is { } nameError)
        {
            context.Error(path + ".port.name", nameError);
        }

        if (Protocol(port.Protocol) is { } protocolError)
        {
            context.Error(path + ".port.protocol", protocolError);
        }
    }

    /// <summary>Go's net.SplitHostPort, with its error text.</summary>
    public static bool TrySplitHostPort(string hostPort, out string host, out string port, out string? error)
    {
        host = port = string.Empty;
        error = null;
        var last = hostPort.LastIndexOf(':');
        if (last < 0)
        {
            error = $"address {hostPort}: missing port in address";
            return false;
        }

        int j = 0, k = 0;
        if (hostPort.StartsWith('['))
        {
            var end = hostPort.IndexOf(']', StringComparison.Ordinal);
            if (end < 0)
            {
                error = $"address {hostPort}: missing ']' in address";
                return false;
            }

            if (end + 1 == hostPort.Length)
            {
                error = $"address {hostPort}: missing port in address";
                return false;
            }

            if (end + 1 != last)
            {
                error = hostPort[end + 1] == ':' ? $"address {hostPort}: too many colons in address" : $"address {hostPort}: missing port in address";
                return false;
            }

            host = hostPort[1..end];
            (j, k) = (1, end + 1);
        }
        else
        {
            host = hostPort[..last];
            if (host.Contains(':', StringComparison.Ordinal))
            {
                error = $"address {hostPort}: too many colons in address";
                host = string.Empty;
                return false;
            }
        }

        if (hostPort[j..].Contains('[', StringComparison.Ordinal))
        {
            error = $"address {hostPort}: unexpected '[' in address";
        }
        else if (hostPort[k..].Contains(']', StringComparison.Ordinal))
        {
            error = $"address {hostPort}: unexpected ']' in address";
        }

        if (error != null)
        {
            host = string.Empty;
            return false;
        }

        port = hostPort[(last + 1)..];
        return true;
    }

    /// <summary>Go's strconv.Atoi: optional sign, decimal digits, within 64 bits.</summary>
    public static bool TryAtoi(string text, out long value) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
}
