using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Inbound connection pools, per ingress listener and Sidecar-wide (Istio's validateConnectionPool);
/// HTTP settings on a port whose protocol is not HTTP are ignored by Istio: a warning.
/// </summary>
public sealed class SidecarConnectionPoolRule : SpecRule<Sidecar>
{
    protected override void Check(Sidecar spec, RuleContext context)
    {
        if (!SidecarPreconditions.Hold(spec))
        {
            return;
        }

        for (var i = 0; i < spec.Ingress.Count; i++)
        {
            var listener = spec.Ingress[i];
            if (listener.Port is not { } port)
            {
                continue;
            }

            var path = $"spec.ingress[{i}].connectionPool";
            TrafficPolicyConnectionPoolChecks.Check(context, path, listener.ConnectionPool);
            if (listener.ConnectionPool?.Http != null && !SidecarPortChecks.IsHttp(port.Protocol))
            {
                context.Warning(path + ".http", $"HTTP connection pool settings are configured for port {port.Number} (\"{port.Name}\") but its protocol is not HTTP ({port.Protocol}); only TCP settings will apply");
            }
        }

        TrafficPolicyConnectionPoolChecks.Check(context, "spec.inboundConnectionPool", spec.InboundConnectionPool);
    }
}
