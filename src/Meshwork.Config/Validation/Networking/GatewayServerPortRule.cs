using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Istio's validateServerPort and validateServerBind: a server has a named port with a known protocol
/// and a number in 1..65535 (0 only when bound to a <c>unix://</c> socket); <c>bind</c> is an IP or a socket.
/// </summary>
public sealed class GatewayServerPortRule : SpecRule<Gateway>
{
    private const string UnixPrefix = "unix://";

    protected override void Check(Gateway spec, RuleContext context)
    {
        for (var i = 0; i < spec.Servers.Count; i++)
        {
            var server = spec.Servers[i];
            var path = $"spec.servers[{i}]";
            foreach (var (field, message) in PortErrors(server))
            {
                context.Error($"{path}.{field}", message);
            }

            CheckBind(server, path, context);
        }
    }

    /// <summary>The port problems of a server, as (path below the server, message); none means the port is usable.</summary>
    public static IEnumerable<(string Field, string Message)> PortErrors(Server server)
    {
        var port = server.Port;
        if (port == null)
        {
            yield return ("port", "port is required");
            yield break;
        }

        if (PortProtocols.Parse(port.Protocol) == PortProtocol.Unsupported)
        {
            yield return ("port.protocol", port.Protocol.Length == 0
                ? $"protocol is required, expected one of {PortProtocols.Supported}"
                : $"invalid protocol \"{port.Protocol}\", expected one of {PortProtocols.Supported}");
        }

        if ((port.Number > 0 || !server.Bind.StartsWith(UnixPrefix, StringComparison.Ordinal)) && Checks.Port(port.Number) is { } portError)
        {
            yield return ("port.number", portError);
        }

        if (port.TargetPort > 0)
        {
            yield return ("port.targetPort", "targetPort has no impact on Gateways");
        }

        if (port.Name.Length == 0)
        {
            yield return ("port.name", "port name must be set");
        }
    }

    private static void CheckBind(Server server, string path, RuleContext context)
    {
        if (server.Bind.StartsWith(UnixPrefix, StringComparison.Ordinal))
        {
            if (UnixSockets.Check(server.Bind[UnixPrefix.Length..]) is { } socketError)
            {
                context.Error($"{path}.bind", socketError);
            }

            if (server.Port is { Number: not 0 } port)
            {
                context.Error($"{path}.port.number", $"port number must be 0 for unix domain socket, got {port.Number}");
            }
        }
        else if (server.Bind.Length > 0 && Checks.IpAddress(server.Bind) is { } ipError)
        {
            context.Error($"{path}.bind", ipError);
        }
    }
}
