using Meshwork.Config.Security;
using Meshwork.Config.Values;

namespace Meshwork.Config.Validation.Security;

/// <summary>
/// <c>rules[].from[].source</c> (Istio's ValidateAuthorizationPolicy): present and not empty, no
/// empty strings, IPs and CIDRs that parse, service accounts in their own form and never mixed
/// with principals or namespaces.
/// </summary>
public sealed class AuthorizationSourceRule : SpecRule<AuthorizationPolicy>
{
    protected override void Check(AuthorizationPolicy spec, RuleContext context)
    {
        for (var i = 0; i < spec.Rules.Count; i++)
        {
            var rule = spec.Rules[i];
            if (rule.From.IsEmpty && context.IsSet($"spec.rules[{i}].from"))
            {
                context.Error($"spec.rules[{i}].from", "must not be empty");
            }

            for (var j = 0; j < rule.From.Count; j++)
            {
                var path = $"spec.rules[{i}].from[{j}]";
                if (rule.From[j].Source is { } source)
                {
                    CheckSource(source, $"{path}.source", context);
                }
                else
                {
                    context.Error(path, "`source` is required");
                }
            }
        }
    }

    private static void CheckSource(Source source, string path, RuleContext context)
    {
        var identities = source.Principals.Count + source.NotPrincipals.Count + source.Namespaces.Count + source.NotNamespaces.Count;
        var accounts = source.ServiceAccounts.Count + source.NotServiceAccounts.Count;
        if (identities > 0 && accounts > 0)
        {
            context.Error(path, "cannot set serviceAccounts with namespaces or principals");
        }

        if (identities + accounts + source.RequestPrincipals.Count + source.NotRequestPrincipals.Count
            + source.IpBlocks.Count + source.NotIpBlocks.Count + source.RemoteIpBlocks.Count + source.NotRemoteIpBlocks.Count == 0)
        {
            context.Error(path, "must not be empty");
        }

        (string Field, ValueList<string> Values)[] strings =
        [
            ("principals", source.Principals),
            ("notPrincipals", source.NotPrincipals),
            ("requestPrincipals", source.RequestPrincipals),
            ("notRequestPrincipals", source.NotRequestPrincipals),
            ("namespaces", source.Namespaces),
            ("notNamespaces", source.NotNamespaces),
            ("ipBlocks", source.IpBlocks),
            ("notIpBlocks", source.NotIpBlocks),
            ("remoteIpBlocks", source.RemoteIpBlocks),
            ("notRemoteIpBlocks", source.NotRemoteIpBlocks),
        ];
        foreach (var (field, values) in strings)
        {
            AuthorizationValues.CheckNonEmpty(values, $"{path}.{field}", context);
        }

        AuthorizationValues.CheckIps(source.IpBlocks, $"{path}.ipBlocks", context);
        AuthorizationValues.CheckIps(source.NotIpBlocks, $"{path}.notIpBlocks", context);
        AuthorizationValues.CheckIps(source.RemoteIpBlocks, $"{path}.remoteIpBlocks", context);
        AuthorizationValues.CheckIps(source.NotRemoteIpBlocks, $"{path}.notRemoteIpBlocks", context);
        AuthorizationValues.CheckServiceAccounts(source.ServiceAccounts, $"{path}.serviceAccounts", context);
        AuthorizationValues.CheckServiceAccounts(source.NotServiceAccounts, $"{path}.notServiceAccounts", context);
    }
}
