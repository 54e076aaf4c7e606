using Envoy.Config.Rbac.V3;
using Meshwork.Config.Security;

namespace Meshwork.Pilot.Generators.Authorization;

/// <summary>
/// One AuthorizationPolicy rule as an RBAC policy (Istio's authz model.New and Generate): each
/// <c>from</c> is a principal and each <c>to</c> a permission (any of them may match); inside one,
/// the fields and the <c>when</c> conditions are ANDed, each field's values ORed and its not-values
/// a negated OR. For a TCP filter the HTTP-only fields cannot be checked: an ALLOW rule using one is
/// dropped (it would allow too much), a DENY or AUDIT rule ignores them (it denies more).
/// </summary>
internal static class RbacRuleTranslator
{
    /// <summary>One field of the model: how each value becomes a matcher, and whether it needs HTTP.</summary>
    private sealed record Field<T>(IReadOnlyList<string> Values, IReadOnlyList<string> NotValues, Func<string, T> Make, bool HttpOnlyField)
    {
        /// <summary>Set and needing HTTP: an unset field asks nothing of the connection.</summary>
        public bool HttpOnly => HttpOnlyField && (Values.Count > 0 || NotValues.Count > 0);
    }

    /// <summary>The RBAC policy of a rule, or null when a TCP filter must skip it.</summary>
    public static Policy? Translate(AuthorizationRule rule, string policyNamespace, string trustDomain, bool forTcp, bool isAllow)
    {
        var basePrincipals = new List<Field<Principal>>();
        var basePermissions = new List<Field<Permission>>();
        foreach (var condition in rule.When)
        {
            if (!AddCondition(condition, basePrincipals, basePermissions))
            {
                return null;
            }
        }

        var principalSets = rule.From.Count == 0
            ? [basePrincipals]
            : rule.From.Select(f => SourceFields(f.Source, policyNamespace, trustDomain).Concat(basePrincipals).ToList()).ToList();
        var permissionSets = rule.To.Count == 0
            ? [basePermissions]
            : rule.To.Select(t => OperationFields(t.Operation).Concat(basePermissions).ToList()).ToList();

        if (forTcp && isAllow && (principalSets.Any(s => s.Any(f => f.HttpOnly)) || permissionSets.Any(s => s.Any(f => f.HttpOnly))))
        {
            return null;
        }

        var policy = new Policy();
        foreach (var set in permissionSets)
        {
            var rules = Groups(set, forTcp, v => new Permission { OrRules = new Permission.Types.Set { Rules = { v } } }, p => new Permission { NotRule = p });
            policy.Permissions.Add(new Permission { AndRules = new Permission.Types.Set { Rules = { rules.Count > 0 ? rules : [new Permission { Any = true }] } } });
        }

        foreach (var set in principalSets)
        {
            var ids = Groups(set, forTcp, v => new Principal { OrIds = new Principal.Types.Set { Ids = { v } } }, p => new Principal { NotId = p });
            policy.Principals.Add(new Principal { AndIds = new Principal.Types.Set { Ids = { ids.Count > 0 ? ids : [new Principal { Any = true }] } } });
        }

        return policy;
    }

    private static List<T> Groups<T>(List<Field<T>> fields, bool forTcp, Func<IEnumerable<T>, T> or, Func<T, T> not)
    {
        var output = new List<T>();
        foreach (var field in fields.Where(f => !(forTcp && f.HttpOnly)))
        {
            if (field.Values.Count > 0)
            {
                output.Add(or(field.Values.Select(field.Make)));
            }

            if (field.NotValues.Count > 0)
            {
                output.Add(not(or(field.NotValues.Select(field.Make))));
            }
        }

        return output;
    }

    /// <summary>Source fields in Istio's order: principals, requestPrincipals, namespaces, remoteIpBlocks, ipBlocks.</summary>
    private static IEnumerable<Field<Principal>> SourceFields(Source? source, string policyNamespace, string trustDomain)
    {
        if (source == null)
        {
            yield break;
        }

        // serviceAccounts are principals of the trust domain: "sa" in the policy's namespace, or "ns/sa".
        var principals = source.Principals.Concat(source.ServiceAccounts.Select(a => ServiceAccount(a, policyNamespace, trustDomain))).ToList();
        var notPrincipals = source.NotPrincipals.Concat(source.NotServiceAccounts.Select(a => ServiceAccount(a, policyNamespace, trustDomain))).ToList();
        yield return new Field<Principal>(principals, notPrincipals, RbacMatchers.PeerPrincipal, false);
        yield return new Field<Principal>(source.RequestPrincipals, source.NotRequestPrincipals, v => RbacMatchers.AuthnValue("request.auth.principal", v), true);
        yield return new Field<Principal>(source.Namespaces, source.NotNamespaces, RbacMatchers.Namespace, false);
        yield return new Field<Principal>(source.RemoteIpBlocks, source.NotRemoteIpBlocks, RbacMatchers.RemoteIp, false);
        yield return new Field<Principal>(source.IpBlocks, source.NotIpBlocks, RbacMatchers.DirectRemoteIp, false);
    }

    /// <summary>Operation fields in Istio's order: hosts, methods, paths, ports.</summary>
    private static IEnumerable<Field<Permission>> OperationFields(Operation? operation)
    {
        if (operation == null)
        {
            yield break;
        }

        yield return new Field<Permission>(operation.Hosts, operation.NotHosts, RbacMatchers.Host, true);
        yield return new Field<Permission>(operation.Methods, operation.NotMethods, RbacMatchers.Method, true);
        yield return new Field<Permission>(operation.Paths, operation.NotPaths, RbacMatchers.Path, true);
        yield return new Field<Permission>(operation.Ports, operation.NotPorts, RbacMatchers.Port, false);
    }

    private static string ServiceAccount(string account, string policyNamespace, string trustDomain)
    {
        var slash = account.IndexOf('/', StringComparison.Ordinal);
        var (ns, name) = slash < 0 ? (policyNamespace, account) : (account[..slash], account[(slash + 1)..]);
        return $"{trustDomain}/ns/{ns}/sa/{name}";
    }

    /// <summary>Files one <c>when</c> condition under principals or permissions, as Istio's model does; false for an unknown key (validation rejects those).</summary>
    private static bool AddCondition(Condition condition, List<Field<Principal>> principals, List<Field<Permission>> permissions)
    {
        var key = condition.Key;
        var values = condition.Values;
        var notValues = condition.NotValues;
        switch (key)
        {
            case "source.ip":
                principals.Add(new(values, notValues, RbacMatchers.DirectRemoteIp, false));
                return true;
            case "remote.ip":
                principals.Add(new(values, notValues, RbacMatchers.RemoteIp, false));
                return true;
            case "source.namespace":
                principals.Add(new(values, notValues, RbacMatchers.Namespace, false));
                return true;
            case "source.principal":
                principals.Add(new(values, notValues, RbacMatchers.PeerPrincipal, false));
                return true;
            case "request.auth.principal" or "request.auth.audiences" or "request.auth.presenter":
                principals.Add(new(values, notValues, v => RbacMatchers.AuthnValue(key, v), true));
                return true;
            case "destination.ip":
                permissions.Add(new(values, notValues, RbacMatchers.DestinationIp, false));
                return true;
            case "destination.port":
                permissions.Add(new(values, notValues, RbacMatchers.Port, false));
                return true;
            case "connection.sni":
                permissions.Add(new(values, notValues, RbacMatchers.ServerName, false));
                return true;
        }

        if (Bracketed(key, "request.headers") is [var header])
        {
            principals.Add(new(values, notValues, v => RbacMatchers.Header(header, v), true));
            return true;
        }

        if (Bracketed(key, "request.auth.claims") is { Count: > 0 } claim)
        {
            principals.Add(new(values, notValues, v => RbacMatchers.Claim(claim, v), true));
            return true;
        }

        const string Experimental = "experimental.envoy.filters.";
        var open = key.IndexOf('[', StringComparison.Ordinal);
        if (key.StartsWith(Experimental, StringComparison.Ordinal) && open > 0 && Bracketed(key, key[..open]) is { Count: > 0 } path)
        {
            var filter = key["experimental.".Length..open];
            permissions.Add(new(values, notValues, v => RbacMatchers.FilterMetadata(filter, path, v), false));
            return true;
        }

        return false;
    }

    /// <summary>The <c>[a][b]</c> parts after a key's prefix, or null when the key is not of that form.</summary>
    private static IReadOnlyList<string>? Bracketed(string key, string prefix)
    {
        if (!key.StartsWith(prefix + "[", StringComparison.Ordinal) || !key.EndsWith(']'))
        {
            return null;
        }

        var parts = key[(prefix.Length + 1)..^1].Split("][");
        return parts.Any(p => p.Length == 0 || p.Contains('[') || p.Contains(']')) ? null : parts;
    }
}
