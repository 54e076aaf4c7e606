using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Security;
using HttpRbac = Envoy.Extensions.Filters.Http.Rbac.V3.RBAC;
using NetworkRbac = Envoy.Extensions.Filters.Network.Rbac.V3.RBAC;
using Rbac = Envoy.Config.Rbac.V3.RBAC;

namespace Meshwork.Pilot.Generators.Authorization;

/// <summary>
/// The RBAC filters of an inbound listener (Istio's authz builder BuildHTTP and BuildTCP): one filter
/// per action present, in the order Envoy must run them: AUDIT (as a LOG filter, which never denies),
/// DENY, then ALLOW, so a request one DENY policy matches is refused whatever an ALLOW policy says.
/// Policies of one action merge into one filter, a policy named <c>ns[NS]-policy[NAME]-rule[i]</c> per
/// rule; an ALLOW filter whose policies are all empty (a policy without rules) denies everything;
/// no ALLOW policy means no ALLOW filter (allow all). Dry-run policies go to the shadow rules.
/// CUSTOM policies come first (CUSTOM → DENY → ALLOW, as Istio): with a usable provider, as Istio's
/// shape: an RBAC filter whose shadow rules are the CUSTOM rules (stat prefix <c>istio_ext_authz_</c>,
/// so their match is written to metadata) then the ext_authz filter, enabled by that metadata, so the
/// provider is asked only about requests the rules match. Without a usable provider (unknown, mixed,
/// service not found), they are enforced as Istio enforces a CUSTOM policy whose provider it cannot
/// use: a DENY of the requests their rules match (fail closed, never silently allowed). TCP ports
/// get the same pair as network filters (Envoy's network ext_authz, one check per connection) for a
/// gRPC provider; an HTTP provider cannot check a connection, so there its rules deny (Istio leaves
/// them out, which would let the traffic through unchecked).
/// </summary>
internal static class AuthorizationFilters
{
    public const string HttpFilterName = "envoy.filters.http.rbac";
    public const string NetworkFilterName = "envoy.filters.network.rbac";

    private const string JwtAuthnFilter = "envoy.filters.http.jwt_authn";

    /// <summary>Istio's stat prefix of every network RBAC filter.</summary>
    public const string TcpStatPrefix = "tcp.";

    public static IEnumerable<HttpFilter> Http(AuthorizationScope scope, string trustDomain)
    {
        if (scope.Custom.Count > 0 && scope.ExtAuthz?.Filter is { } extAuthz)
        {
            // Dry-run CUSTOM policies are left out: asking the provider would enforce its answer.
            var enforced = scope.Custom.Where(p => !p.DryRun).ToList();
            if (enforced.Count > 0)
            {
                var shadow = new HttpRbac { ShadowRules = Rules(enforced, Rbac.Types.Action.Deny, trustDomain, forTcp: false, viaProvider: true), ShadowRulesStatPrefix = ExtAuthzProviders.ShadowRulesStatPrefix };
                yield return new HttpFilter { Name = HttpFilterName, TypedConfig = Any.Pack(shadow) };
                yield return new HttpFilter { Name = ExtAuthzProviders.FilterName, TypedConfig = Any.Pack(extAuthz) };
            }
        }

        foreach (var (action, policies) in Ordered(scope, customAsDeny: scope.ExtAuthz?.Filter == null))
        {
            var (rules, shadow) = Build(policies, action, trustDomain, forTcp: false);
            var config = new HttpRbac { Rules = rules };
            if (shadow != null)
            {
                config.ShadowRules = shadow;
                config.ShadowRulesStatPrefix = ShadowPrefix(action);
            }

            yield return new HttpFilter { Name = HttpFilterName, TypedConfig = Any.Pack(config) };
        }
    }

    public static IEnumerable<Filter> Network(AuthorizationScope scope, string trustDomain)
    {
        var viaProvider = scope.Custom.Count > 0 && scope.ExtAuthz?.Tcp != null;
        if (viaProvider && scope.ExtAuthz?.Tcp is { } extAuthz)
        {
            var enforced = scope.Custom.Where(p => !p.DryRun).ToList();
            if (enforced.Count > 0)
            {
                var shadow = new NetworkRbac { ShadowRules = Rules(enforced, Rbac.Types.Action.Deny, trustDomain, forTcp: true, viaProvider: true), ShadowRulesStatPrefix = ExtAuthzProviders.ShadowRulesStatPrefix, StatPrefix = TcpStatPrefix };
                yield return new Filter { Name = NetworkFilterName, TypedConfig = Any.Pack(shadow) };
                yield return new Filter { Name = ExtAuthzProviders.NetworkFilterName, TypedConfig = Any.Pack(extAuthz) };
            }
        }

        foreach (var (action, policies) in Ordered(scope, customAsDeny: !viaProvider))
        {
            var (rules, shadow) = Build(policies, action, trustDomain, forTcp: true);
            var config = new NetworkRbac { Rules = rules, StatPrefix = TcpStatPrefix };
            if (shadow != null)
            {
                config.ShadowRules = shadow;
                config.ShadowRulesStatPrefix = ShadowPrefix(action);
            }

            yield return new Filter { Name = NetworkFilterName, TypedConfig = Any.Pack(config) };
        }
    }

    private static IEnumerable<(Rbac.Types.Action Action, IReadOnlyList<SelectedPolicy> Policies)> Ordered(AuthorizationScope scope, bool customAsDeny)
    {
        if (customAsDeny && scope.Custom.Count > 0)
        {
            yield return (Rbac.Types.Action.Deny, scope.Custom);
        }

        if (scope.Audit.Count > 0)
        {
            yield return (Rbac.Types.Action.Log, scope.Audit);
        }

        if (scope.Deny.Count > 0)
        {
            yield return (Rbac.Types.Action.Deny, scope.Deny);
        }

        if (scope.Allow.Count > 0)
        {
            yield return (Rbac.Types.Action.Allow, scope.Allow);
        }
    }

    /// <summary>The enforced rules (null when every policy is dry-run: Envoy then lets all through) and the shadow rules (null when none is dry-run).</summary>
    private static (Rbac? Rules, Rbac? Shadow) Build(IReadOnlyList<SelectedPolicy> policies, Rbac.Types.Action action, string trustDomain, bool forTcp)
    {
        var enforced = policies.Where(p => !p.DryRun).ToList();
        var dryRun = policies.Where(p => p.DryRun).ToList();
        return (enforced.Count > 0 ? Rules(enforced, action, trustDomain, forTcp) : null, dryRun.Count > 0 ? Rules(dryRun, action, trustDomain, forTcp) : null);
    }

    private static Rbac Rules(IReadOnlyList<SelectedPolicy> policies, Rbac.Types.Action action, string trustDomain, bool forTcp, bool viaProvider = false)
    {
        var rbac = new Rbac { Action = action };
        foreach (var policy in policies)
        {
            for (var i = 0; i < policy.Spec.Rules.Count; i++)
            {
                var translated = RbacRuleTranslator.Translate(policy.Spec.Rules[i], policy.Namespace, trustDomain, forTcp, action == Rbac.Types.Action.Allow);
                if (translated != null)
                {
                    var name = $"ns[{policy.Namespace}]-policy[{policy.Name}]-rule[{i}]";
                    var key = policy.Spec.Action != AuthorizationAction.Custom ? name
                        : viaProvider ? $"{ExtAuthzProviders.MatchPrefix}-{name}"
                        : $"{ExtAuthzProviders.MatchPrefix}-{name}-deny-due-to-bad-CUSTOM-action";
                    rbac.Policies.Add(key, translated);
                }
            }
        }

        return rbac;
    }

    private static string ShadowPrefix(Rbac.Types.Action action) =>
        action == Rbac.Types.Action.Deny ? "istio_dry_run_deny_" : "istio_dry_run_allow_";

    /// <summary>Puts the RBAC (and ext_authz) filters after jwt_authn (whose verified identity they read) and before fault, CORS and the router.</summary>
    public static void Insert(HttpConnectionManager manager, IEnumerable<HttpFilter> filters)
    {
        var at = 0;
        while (at < manager.HttpFilters.Count && manager.HttpFilters[at].Name == JwtAuthnFilter)
        {
            at++;
        }

        foreach (var filter in filters)
        {
            manager.HttpFilters.Insert(at++, filter);
        }
    }
}
