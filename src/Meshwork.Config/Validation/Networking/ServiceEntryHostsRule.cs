using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Istio's ValidateServiceEntry, hosts part: at least one host, each a domain name with at most a
/// leading wildcard label (<c>*</c> alone is refused; a partial wildcard draws a warning), and several
/// hosts only when every port can tell them apart (HTTP Host or TLS SNI) or resolution is NONE.
/// </summary>
public sealed class ServiceEntryHostsRule : SpecRule<ServiceEntry>
{
    protected override void Check(ServiceEntry spec, RuleContext context)
    {
        if (spec.Hosts.IsEmpty)
        {
            context.Error("spec.hosts", "service entry must have at least one host");
        }

        for (var i = 0; i < spec.Hosts.Count; i++)
        {
            var host = spec.Hosts[i];
            var path = $"spec.hosts[{i}]";
            if (host == "*")
            {
                context.Error(path, "invalid host *: a service entry cannot match every host");
                continue;
            }

            if (Checks.WildcardDomain(host) is { } error)
            {
                context.Error(path, $"invalid host \"{host}\": {error}");
            }

            if (Checks.PartialWildcard(host) is { } partial)
            {
                context.Warning(path, partial);
            }
        }

        // Plain TCP carries no name to pick one host by, unless the proxy does not route on hosts at all.
        if (spec.Resolution != ServiceEntryResolution.None && spec.Hosts.Count > 1)
        {
            for (var i = 0; i < spec.Ports.Count; i++)
            {
                var protocol = PortProtocols.Parse(spec.Ports[i].Protocol);
                if (!protocol.IsHttp() && !protocol.IsTls())
                {
                    var shown = spec.Ports[i].Protocol.Length == 0 ? "unset" : spec.Ports[i].Protocol;
                    context.Error($"spec.ports[{i}].protocol", $"multiple hosts provided with non-HTTP, non-TLS ports (protocol {shown}); use one host per service entry or resolution NONE");
                    break;
                }
            }
        }
    }
}
