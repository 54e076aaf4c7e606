using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Istio's validateServer, TLS part: the server's TLS settings are valid, HTTPS and TLS ports have
/// them, plain-text ports do not (an HTTP port may only carry <c>httpsRedirect</c>), and
/// <c>httpsRedirect</c> on a non-HTTP port draws a warning.
/// </summary>
public sealed class GatewayServerTlsRule : SpecRule<Gateway>
{
    protected override void Check(Gateway spec, RuleContext context)
    {
        for (var i = 0; i < spec.Servers.Count; i++)
        {
            var server = spec.Servers[i];
            var path = $"spec.servers[{i}]";
            ServerTlsChecks.Check(server.Tls, $"{path}.tls", context);

            if (server.Port is { } port && server.Tls is { HttpsRedirect: true } && !PortProtocols.Parse(port.Protocol).IsHttp())
            {
                context.Warning($"{path}.tls.httpsRedirect", $"should only be used with HTTP servers, got protocol {port.Protocol}");
            }

            // Like Istio, judge protocol and TLS together only once the port itself is valid.
            if (server.Port == null || GatewayServerPortRule.PortErrors(server).Any())
            {
                continue;
            }

            CheckProtocolMatchesTls(server, server.Port, path, context);
        }
    }

    private static void CheckProtocolMatchesTls(Server server, Port port, string path, RuleContext context)
    {
        var protocol = PortProtocols.Parse(port.Protocol);
        if (protocol.IsTls() && server.Tls == null)
        {
            context.Error(path, $"server must have TLS settings for HTTPS/TLS protocols, got protocol {port.Protocol} without tls");
        }
        else if (!protocol.IsTls() && server.Tls is { } tls)
        {
            if (!protocol.IsHttp())
            {
                context.Error($"{path}.tls", $"server cannot have TLS settings for non HTTPS/TLS ports, got protocol {port.Protocol}");
            }
            else if (tls.Mode is not (ServerTlsMode.Passthrough or ServerTlsMode.AutoPassthrough) ||
                tls.CaCertificates.Length > 0 || tls.PrivateKey.Length > 0 || tls.ServerCertificate.Length > 0)
            {
                context.Error($"{path}.tls", "server cannot have TLS settings for plain text HTTP ports (only httpsRedirect)");
            }
        }
    }
}
