using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Egress listeners (Istio's ValidateSidecar, egress part): at most one catch-all listener without
/// a port, and it comes last; ports, binds and capture modes (port 0 means a Unix socket bind);
/// unique ports and sockets; hosts as <c>namespace/dnsName</c>, with warnings on overlapping hosts.
/// </summary>
public sealed class SidecarEgressRule : SpecRule<Sidecar>
{
    protected override void Check(Sidecar spec, RuleContext context)
    {
        if (!SidecarPreconditions.Hold(spec))
        {
            return;
        }

        var ports = new HashSet<uint>();
        var sockets = new HashSet<string>(StringComparer.Ordinal);
        var catchAllFound = false;
        for (var i = 0; i < spec.Egress.Count; i++)
        {
            var listener = spec.Egress[i];
            var path = $"spec.egress[{i}]";
            if (listener.Port is not { } port)
            {
                if (catchAllFound)
                {
                    context.Error(path + ".port", "egress can have only one listener with empty port");
                    continue;
                }

                if (i == spec.Egress.Count - 1)
                {
                    catchAllFound = true;
                }
                else
                {
                    context.Error(path + ".port", "the egress listener with empty port should be the last listener in the list");
                }
            }
            else
            {
                CheckPort(context, path, listener, port);
                if (port.Number == 0)
                {
                    if (!sockets.Add(listener.Bind))
                    {
                        context.Error(path + ".bind", $"unix domain socket values for listeners must be unique, got {listener.Bind} again");
                    }
                }
                else if (!ports.Add(port.Number))
                {
                    context.Error(path + ".port.number", $"ports on IP bound listeners must be unique, got {port.Number} again");
                }
            }

            CheckHosts(context, path + ".hosts", listener.Hosts);
        }
    }

    private static void CheckPort(RuleContext context, string path, IstioEgressListener listener, SidecarPort port)
    {
        SidecarPortChecks.CheckNameAndProtocol(context, path, port);

        if (port.Number == 0)
        {
            if (!listener.Bind.StartsWith(SidecarPortChecks.UnixPrefix, StringComparison.Ordinal))
            {
                context.Error(path + ".bind", "ports with 0 value must have a unix domain socket bind address");
            }
            else if (UnixSockets.Check(listener.Bind[SidecarPortChecks.UnixPrefix.Length..]) is { } unixError)
            {
                context.Error(path + ".bind", unixError);
            }

            if (listener.CaptureMode is not (CaptureMode.Default or CaptureMode.None))
            {
                context.Error(path + ".captureMode", "captureMode must be DEFAULT/NONE for unix domain socket listeners");
            }

            return;
        }

        if (Checks.Port(port.Number) is { } portError)
        {
            context.Error(path + ".port.number", portError);
        }

        if (listener.Bind.Length > 0 && Checks.IpAddress(listener.Bind) is { } bindError)
        {
            context.Error(path + ".bind", bindError);
        }
    }

    private static void CheckHosts(RuleContext context, string path, IReadOnlyList<string> hosts)
    {
        if (hosts.Count == 0)
        {
            context.Error(path, "egress listener must contain at least one host");
            return;
        }

        // namespace -> services already exposed, to warn on hosts another host already covers.
        var exposed = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        for (var j = 0; j < hosts.Count; j++)
        {
            var host = hosts[j];
            var at = $"{path}[{j}]";
            var slash = host.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0)
            {
                var ns = host[..slash] == "." ? context.Namespace : host[..slash];
                var service = host[(slash + 1)..];
                if (!exposed.TryGetValue(ns, out var services))
                {
                    exposed[ns] = services = new HashSet<string>(StringComparer.Ordinal);
                }

                var covered = service == "*" ? services.Count > 0 : services.Contains(service) || services.Contains("*");
                if (covered)
                {
                    context.Warning(at, $"duplicated egress host: {host}");
                }

                services.Add(service);
            }

            foreach (var error in Checks.NamespaceSlashWildcardHostname(host, isGateway: false))
            {
                context.Error(at, $"invalid host \"{host}\": {error}");
            }
        }

        if (exposed.TryGetValue("*", out var anyNamespace) && anyNamespace.Contains("*") && exposed.Count != 1)
        {
            context.Warning(path, "`*/*` host select all resources, no other hosts can be added");
        }
    }
}
