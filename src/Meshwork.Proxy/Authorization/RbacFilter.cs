using Envoy.Config.Rbac.V3;
using Meshwork.Proxy.Stats;
using HttpRbac = Envoy.Extensions.Filters.Http.Rbac.V3.RBAC;
using NetworkRbac = Envoy.Extensions.Filters.Network.Rbac.V3.RBAC;

namespace Meshwork.Proxy.Authorization;

/// <summary>
/// An RBAC filter (HTTP <c>envoy.filters.http.rbac</c> or network <c>envoy.filters.network.rbac</c>)
/// compiled: the enforced rules (none: everything passes) and the shadow rules (evaluated and counted,
/// never enforced), with Envoy's counters: <c>rbac.allowed</c>/<c>rbac.denied</c> for ALLOW and DENY,
/// <c>rbac.logged</c>/<c>rbac.not_logged</c> for LOG, and <c>rbac.shadow_allowed</c>/<c>shadow_denied</c>
/// under the shadow rules' prefix. HTTP counters live under <c>http.STAT_PREFIX.</c>, network ones
/// under the filter's own stat_prefix.
/// </summary>
internal sealed class RbacFilter
{
    public const string HttpName = "envoy.filters.http.rbac";
    public const string NetworkName = "envoy.filters.network.rbac";

    public const string DeniedBody = "RBAC: access denied";

    private readonly RbacEngine? _rules;
    private readonly RbacEngine? _shadow;
    private readonly Counter _allowed;
    private readonly Counter _denied;
    private readonly Counter _logged;
    private readonly Counter _notLogged;
    private readonly Counter _shadowAllowed;
    private readonly Counter _shadowDenied;

    private RbacFilter(RBAC? rules, RBAC? shadow, string where, Func<string, Counter> counter, string rulesPrefix, string shadowPrefix)
    {
        _rules = rules != null ? RbacEngine.Compile(rules, where + ".rules") : null;
        _shadow = shadow != null ? RbacEngine.Compile(shadow, where + ".shadow_rules") : null;
        _allowed = counter(rulesPrefix + "rbac.allowed");
        _denied = counter(rulesPrefix + "rbac.denied");
        _logged = counter(rulesPrefix + "rbac.logged");
        _notLogged = counter(rulesPrefix + "rbac.not_logged");
        _shadowAllowed = counter(shadowPrefix + "rbac.shadow_allowed");
        _shadowDenied = counter(shadowPrefix + "rbac.shadow_denied");
        ShadowRulesStatPrefix = shadowPrefix;
    }

    /// <summary>Prefix of the stats and of the dynamic metadata keys the shadow rules write (Istio's <c>istio_ext_authz_</c> for CUSTOM).</summary>
    public string ShadowRulesStatPrefix { get; }

    public bool HasShadowRules => _shadow != null;

    /// <summary>The HTTP filter, counting under <c>http.{managerPrefix}.</c>.</summary>
    public static RbacFilter CompileHttp(HttpRbac config, string where, StatsStore stats, string managerPrefix) =>
        new(config.Rules, config.ShadowRules, where, name => stats.Counter("http", managerPrefix, name), config.RulesStatPrefix, config.ShadowRulesStatPrefix);

    /// <summary>The network filter, counting under its stat_prefix (Istio's <c>tcp.</c>).</summary>
    public static RbacFilter CompileNetwork(NetworkRbac config, string where, StatsStore stats)
    {
        if (config.StatPrefix.Length == 0)
        {
            throw new ProxyConfigException($"{where}.stat_prefix: required");
        }

        return new(config.Rules, config.ShadowRules, where, name => stats.Counter(config.StatPrefix + name), string.Empty, config.ShadowRulesStatPrefix);
    }

    /// <summary>Evaluates shadow then enforced rules; false means deny (403 for HTTP, close for TCP).</summary>
    public bool Allows(in AuthorizationInput input, out string? deniedBy) => Allows(input, out deniedBy, out _);

    /// <summary>
    /// As <see cref="Allows(in AuthorizationInput, out string?)"/>, with what the shadow rules decided
    /// (Envoy's <c>shadow_effective_policy_id</c> and <c>shadow_engine_result</c> metadata): the
    /// policy that matched, or none, and whether they allowed; default when there are no shadow rules.
    /// </summary>
    public bool Allows(in AuthorizationInput input, out string? deniedBy, out ShadowDecision shadow)
    {
        deniedBy = null;
        shadow = default;
        if (_shadow != null)
        {
            var shadowAllowed = _shadow.Allows(input, out var shadowPolicy);
            (shadowAllowed ? _shadowAllowed : _shadowDenied).Increment();
            shadow = new ShadowDecision(true, shadowAllowed, shadowPolicy);
        }

        if (_rules == null)
        {
            return true;
        }

        var allowed = _rules.Allows(input, out var policy);
        if (_rules.Action == RBAC.Types.Action.Log)
        {
            (policy != null ? _logged : _notLogged).Increment();
            return true;
        }

        if (allowed)
        {
            _allowed.Increment();
            return true;
        }

        _denied.Increment();
        deniedBy = policy ?? "none";
        return false;
    }
}

/// <summary>What shadow rules decided for one request: whether they ran, allowed, and the policy that matched (null: none).</summary>
internal readonly record struct ShadowDecision(bool Evaluated, bool Allowed, string? Policy);
