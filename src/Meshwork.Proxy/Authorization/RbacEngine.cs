using Envoy.Config.Rbac.V3;

namespace Meshwork.Proxy.Authorization;

/// <summary>
/// One RBAC rule set compiled (Envoy's RoleBasedAccessControlEngineImpl): the action and the named
/// policies, each matching when any of its permissions and any of its principals match. ALLOW
/// allows what some policy matches, DENY denies it, LOG allows everything and only says whether a
/// policy matched (to log it).
/// </summary>
internal sealed class RbacEngine
{
    private readonly (string Name, RbacMatcher Permissions, RbacMatcher Principals)[] _policies;

    private RbacEngine(RBAC.Types.Action action, (string, RbacMatcher, RbacMatcher)[] policies)
    {
        Action = action;
        _policies = policies;
    }

    public RBAC.Types.Action Action { get; }

    public static RbacEngine Compile(RBAC rbac, string where)
    {
        if (!Enum.IsDefined(rbac.Action))
        {
            throw new ProxyConfigException($"{where}.action: unknown action {(int)rbac.Action}");
        }

        // Sorted by name so the reported policy does not depend on map order.
        var policies = rbac.Policies
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p =>
            {
                var at = $"{where}.policies[{p.Key}]";
                if (p.Value.Permissions.Count == 0 || p.Value.Principals.Count == 0)
                {
                    throw new ProxyConfigException($"{at}: needs at least one permission and one principal");
                }

                var permissions = p.Value.Permissions.Select((m, i) => RbacMatcher.Compile(m, $"{at}.permissions[{i}]")).ToArray();
                var principals = p.Value.Principals.Select((m, i) => RbacMatcher.Compile(m, $"{at}.principals[{i}]")).ToArray();
                return (p.Key, AnyOf(permissions), AnyOf(principals));
            })
            .ToArray();
        return new RbacEngine(rbac.Action, policies);
    }

    /// <summary>Whether the request may go on, and the first policy (by name) that matched.</summary>
    public bool Allows(in AuthorizationInput input, out string? matchedPolicy)
    {
        matchedPolicy = null;
        foreach (var (name, permissions, principals) in _policies)
        {
            if (permissions.Matches(input) && principals.Matches(input))
            {
                matchedPolicy = name;
                break;
            }
        }

        return Action switch
        {
            RBAC.Types.Action.Allow => matchedPolicy != null,
            RBAC.Types.Action.Deny => matchedPolicy == null,
            _ => true,
        };
    }

    private static RbacMatcher AnyOf(RbacMatcher[] matchers) => new PolicyPart(matchers);

    /// <summary>Permissions (or principals) of one policy: any of them.</summary>
    private sealed class PolicyPart(RbacMatcher[] parts) : RbacMatcher
    {
        public override bool Matches(in AuthorizationInput input)
        {
            foreach (var part in parts)
            {
                if (part.Matches(input))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
