using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Ingress listeners (Istio's ValidateSidecar, ingress part): a valid port, name and protocol,
/// unique port numbers, an IP bind, and a default endpoint of the form <c>127.0.0.1:PORT</c>,
/// <c>0.0.0.0:PORT</c>, <c>[::1]:PORT</c>, <c>[::]:PORT</c>, <c>:PORT</c> or <c>unix:///path</c>.
/// </summary>
public sealed class SidecarIngressRule : SpecRule<Sidecar>
{
    private static readonly HashSet<string> LoopbackOrAny = ["", "127.0.0.1", "0.0.0.0", "::1", "::"];

    protected override void Check(Sidecar spec, RuleContext context)
    {
        if (!SidecarPreconditions.Hold(spec))
        {
            return;
        }

        var firstByPort = new Dictionary<uint, int>();
        for (var i = 0; i < spec.Ingress.Count; i++)
        {
            var listener = spec.Ingress[i];
            var path = $"spec.ingress[{i}]";
            if (listener.Port is not { } port)
            {
                context.Error(path + ".port", "port is required for ingress listeners");
                continue;
            }

            SidecarPortChecks.CheckNameAndProtocol(context, path, port);

            if (Checks.Port(port.Number) is { } portError)
            {
                context.Error(path + ".port.number", portError);
            }

            if (listener.Bind.Length > 0 && Checks.IpAddress(listener.Bind) is { } bindError)
            {
                context.Error(path + ".bind", bindError);
            }

            if (!firstByPort.TryAdd(port.Number, i))
            {
                context.Error(path + ".port.number", $"ports on IP bound listeners must be unique, got {port.Number} again (also ingress[{firstByPort[port.Number]}])");
            }

            if (listener.DefaultEndpoint.Length > 0)
            {
                CheckDefaultEndpoint(context, path + ".defaultEndpoint", listener.DefaultEndpoint);
            }
        }
    }

    private static void CheckDefaultEndpoint(RuleContext context, string path, string endpoint)
    {
        if (endpoint.StartsWith(SidecarPortChecks.UnixPrefix, StringComparison.Ordinal))
        {
            if (UnixSockets.Check(endpoint[SidecarPortChecks.UnixPrefix.Length..]) is { } unixError)
            {
                context.Error(path, unixError);
            }

            return;
        }

        // Istio goes on after a split error and also reports the empty port as "not a number"; one error says it all.
        if (!SidecarPortChecks.TrySplitHostPort(endpoint, out var host, out var port, out var splitError))
        {
            context.Error(path, splitError!);
            return;
        }

        if (!LoopbackOrAny.Contains(host))
        {
            context.Error(path, $"defaultEndpoint must be of form 127.0.0.1:<port>,0.0.0.0:<port>,[::1]:port,[::]:port,unix://filepath or unset, got \"{endpoint}\"");
        }

        if (!SidecarPortChecks.TryAtoi(port, out var number))
        {
            context.Error(path, $"defaultEndpoint port ({port}) is not a number");
        }
        else if (Checks.Port(number) is { } portError)
        {
            context.Error(path, portError);
        }
    }
}
