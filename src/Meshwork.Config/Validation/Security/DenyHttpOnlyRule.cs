using Meshwork.Config.Security;

namespace Meshwork.Config.Validation.Security;

/// <summary>
/// Istio's warning for DENY rules that match only on HTTP attributes: TCP traffic has none of
/// them, and a DENY rule treats missing attributes as matching, so it denies all TCP traffic in scope.
/// </summary>
public sealed class DenyHttpOnlyRule : SpecRule<AuthorizationPolicy>
{
    protected override void Check(AuthorizationPolicy spec, RuleContext context)
    {
        if (spec.Action != AuthorizationAction.Deny)
        {
            return;
        }

        for (var i = 0; i < spec.Rules.Count; i++)
        {
            var rule = spec.Rules[i];
            var sources = rule.From.Where(f => f.Source != null).Select(f => f.Source!).ToList();
            var operations = rule.To.Where(t => t.Operation != null).Select(t => t.Operation!).ToList();
            var tcpInFrom = sources.Any(s =>
                s.Principals.Count + s.NotPrincipals.Count + s.IpBlocks.Count + s.NotIpBlocks.Count + s.Namespaces.Count + s.NotNamespaces.Count
                + s.RemoteIpBlocks.Count + s.NotRemoteIpBlocks.Count + s.ServiceAccounts.Count + s.NotServiceAccounts.Count > 0);
            var tcpInTo = operations.Any(o => o.Ports.Count + o.NotPorts.Count > 0);
            if ((sources.Count > 0 && operations.Count == 0 && !tcpInFrom) || (operations.Count > 0 && !tcpInTo))
            {
                context.Warning(
                    $"spec.rules[{i}]",
                    "configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of only HTTP attributes in a DENY rule; it is recommended to explicitly specify the port");
            }
        }
    }
}
