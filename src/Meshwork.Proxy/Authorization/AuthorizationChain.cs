using System.Runtime.CompilerServices;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Meshwork.Proxy.Stats;
using ExtAuthzConfig = Envoy.Extensions.Filters.Http.ExtAuthz.V3.ExtAuthz;
using HttpRbac = Envoy.Extensions.Filters.Http.Rbac.V3.RBAC;

namespace Meshwork.Proxy.Authorization;

/// <summary>One authorization filter of the chain: an RBAC filter (with the metadata slots its shadow rules fill) or an ext_authz filter (with the slot its gate reads).</summary>
internal readonly record struct AuthorizationStep(RbacFilter? Rbac, ExtAuthzFilter? ExtAuthz, int PolicySlot = -1, int ResultSlot = -1, int GateSlot = -1);

/// <summary>
/// The authorization filters of an HTTP connection manager (RBAC and ext_authz) in their chain order,
/// compiled once. Envoy passes the RBAC shadow result to ext_authz as dynamic metadata; here each
/// metadata key some ext_authz gate reads gets a slot number at compile time, RBAC steps write their
/// shadow decision into the slots and gates read them, so a request carries a few strings on its
/// stack and no map.
/// </summary>
internal sealed class AuthorizationChain
{
    /// <summary>How many distinct metadata keys one chain's gates may read (Istio uses one).</summary>
    public const int MaxSlots = 4;

    private const string PolicyKey = "shadow_effective_policy_id";
    private const string ResultKey = "shadow_engine_result";

    private AuthorizationChain(AuthorizationStep[] steps)
    {
        Steps = steps;
        Rbac = steps.Where(s => s.Rbac != null).Select(s => s.Rbac!).ToArray();
    }

    public static AuthorizationChain Empty { get; } = new([]);

    public AuthorizationStep[] Steps { get; }

    /// <summary>The RBAC filters alone, in order.</summary>
    public RbacFilter[] Rbac { get; }

    public static AuthorizationChain Compile(HttpConnectionManager manager, string listenerName, StatsStore stats, string statPrefix)
    {
        var filters = new List<(RbacFilter? Rbac, ExtAuthzFilter? ExtAuthz)>();
        for (var i = 0; i < manager.HttpFilters.Count; i++)
        {
            var filter = manager.HttpFilters[i];
            if (filter.Name is not (RbacFilter.HttpName or ExtAuthzFilter.Name))
            {
                continue;
            }

            var where = $"listener \"{listenerName}\": http_filters[{i}] \"{filter.Name}\"";
            if (filter.Name == RbacFilter.HttpName)
            {
                filters.Add((RbacFilter.CompileHttp(Unpack<HttpRbac>(filter.TypedConfig, HttpRbac.Descriptor, where), where, stats, statPrefix), null));
            }
            else
            {
                filters.Add((null, ExtAuthzFilter.Compile(Unpack<ExtAuthzConfig>(filter.TypedConfig, ExtAuthzConfig.Descriptor, where), where, stats, statPrefix)));
            }
        }

        if (filters.Count == 0)
        {
            return Empty;
        }

        // A slot per metadata key some gate reads; RBAC filters fill only those.
        var slots = filters.Where(f => f.ExtAuthz?.EnabledBy != null).Select(f => f.ExtAuthz!.EnabledBy!.Key).Distinct(StringComparer.Ordinal).ToList();
        if (slots.Count > MaxSlots)
        {
            throw new ProxyConfigException($"listener \"{listenerName}\": ext_authz filters read {slots.Count} metadata keys; at most {MaxSlots} are supported");
        }

        var steps = filters.Select(f => f.Rbac is { HasShadowRules: true } rbac
                ? new AuthorizationStep(rbac, null, slots.IndexOf(rbac.ShadowRulesStatPrefix + PolicyKey), slots.IndexOf(rbac.ShadowRulesStatPrefix + ResultKey))
                : f.ExtAuthz is { EnabledBy: { } gate } ext
                    ? new AuthorizationStep(null, ext, GateSlot: slots.IndexOf(gate.Key))
                    : new AuthorizationStep(f.Rbac, f.ExtAuthz))
            .ToArray();
        return new AuthorizationChain(steps);
    }

    private static T Unpack<T>(Google.Protobuf.WellKnownTypes.Any? config, Google.Protobuf.Reflection.MessageDescriptor descriptor, string where)
        where T : Google.Protobuf.IMessage, new()
    {
        if (config == null || !config.Is(descriptor))
        {
            throw new ProxyConfigException($"{where}: typed_config must be {descriptor.FullName}");
        }

        return config.Unpack<T>();
    }
}

/// <summary>The dynamic metadata values one request has so far, by slot (see <see cref="AuthorizationChain"/>).</summary>
[InlineArray(AuthorizationChain.MaxSlots)]
internal struct MetadataSlots
{
    private string? _first;
}
