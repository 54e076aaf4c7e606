using Envoy.Config.Core.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.JwtAuthn.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Resources;
using Meshwork.Config.Security;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Generators.Listeners;

/// <summary>
/// Istio's RequestAuthentication as Envoy's jwt_authn filter (pilot/pkg/security/authn, istiod JWKS
/// mode): every policy that applies to the workload (its namespace's and the root namespace's, without
/// a selector or with one its labels match) contributes its rules, sorted by issuer; each rule is a
/// provider <c>origins-N</c>, and the requirement is Istio's: any provider's token, or no token at all,
/// so a present token must verify and a missing one passes without an identity. Keys are inline:
/// the rule's <c>jwks</c>, else what meshd fetched from <c>jwksUri</c>, else a key nobody holds, which
/// refuses every token until the fetch succeeds, as Istio does.
/// </summary>
internal static class RequestAuthenticationFilter
{
    public const string Name = "envoy.filters.http.jwt_authn";

    /// <summary>Istio's filters.EnvoyJwtFilterPayload: where the verified payload goes in metadata.</summary>
    public const string PayloadMetadataKey = "payload";

    /// <summary>An RSA-2048 public key whose private half does not exist: no token verifies against it.</summary>
    public const string UnreachableJwks = """{"keys":[{"kty":"RSA","e":"AQAB","n":"soN85_XETy428INXw0Bn5gL8F9ews5LreV8HjZQyKHDKCABy59HlXAATxGItiNHsyEOTbOY2dWr5_s9j9oxPFDsawC36WBPQB9QOTzj8oCk_dLEBUKW1QRtnD5nwcWJDM0C6VPwRV5Vg2QFxHgEQ5AEB5gS_r-lxBGcqkT_HnDSoEWlQr_q4K4zXDHKgRfe3nUt-8Nyxt_smu2AURHYaM1_zcaT9MjsJo8_47IB_p0OH5Rh9IkslWXyWcxeLVrkZ_YMOgdM5MYU__OFNk4i7wiU9fuJ4Lg4VuUHWSTLVlAPqmHurINT8NCrPbhEWy2ape5NYQLybw9hMcKdVArSXdQ"}]}""";

    private static readonly string[] DefaultSpaceDelimitedClaims = ["permission", "scope"];

    /// <summary>The jwt_authn filter for <paramref name="proxy"/>, or null when no RequestAuthentication applies.</summary>
    public static HttpFilter? For(MeshSnapshot snapshot, ProxyNode proxy)
    {
        var rootNamespace = snapshot.Mesh.EffectiveRootNamespace;
        var rules = snapshot.Config.OfKind(ResourceKinds.RequestAuthentication)
            .Where(r => r.Namespace == proxy.Namespace || r.Namespace == rootNamespace)
            .Select(r => r.SpecAs<RequestAuthentication>())
            .Where(spec => Applies(spec, proxy))
            .SelectMany(spec => spec.JwtRules)
            .OrderBy(rule => rule.Issuer, StringComparer.Ordinal)
            .ToList();
        if (rules.Count == 0)
        {
            return null;
        }

        var config = new JwtAuthentication { BypassCorsPreflight = true };
        var optional = new List<JwtRequirement>();
        var anyProvider = new List<JwtRequirement>();
        for (var i = 0; i < rules.Count; i++)
        {
            var name = $"origins-{i}";
            config.Providers[name] = Provider(rules[i], snapshot);
            anyProvider.Add(new JwtRequirement { ProviderName = name });
            optional.Add(new JwtRequirement
            {
                RequiresAny = new JwtRequirementOrList { Requirements = { new JwtRequirement { ProviderName = name }, new JwtRequirement { AllowMissing = new Empty() } } },
            });
        }

        // One provider: it or nothing. Several: any one of them, or every one "it or nothing", which
        // lets providers share a location (Istio's outer OR).
        var requires = optional.Count == 1
            ? optional[0]
            : new JwtRequirement
            {
                RequiresAny = new JwtRequirementOrList { Requirements = { anyProvider, new JwtRequirement { RequiresAll = new JwtRequirementAndList { Requirements = { optional } } } } },
            };
        config.Rules.Add(new RequirementRule { Match = new RouteMatch { Prefix = "/" }, Requires = requires });
        return new HttpFilter { Name = Name, TypedConfig = Any.Pack(config) };
    }

    /// <summary>Puts <paramref name="filter"/> first, where Istio puts authentication: before authorization, faults and the router.</summary>
    public static void AddTo(HttpConnectionManager manager, HttpFilter? filter)
    {
        if (filter != null)
        {
            manager.HttpFilters.Insert(0, filter);
        }
    }

    /// <summary>
    /// A policy applies by selector (or to the whole namespace without one). Policies that name
    /// targetRef(s) select Gateway API gateways and services, which local mode does not have.
    /// </summary>
    private static bool Applies(RequestAuthentication spec, ProxyNode proxy)
    {
        if (spec.TargetRef != null || !spec.TargetRefs.IsEmpty)
        {
            return false;
        }

        return spec.Selector is not { MatchLabels.IsEmpty: false } selector
            || selector.MatchLabels.All(l => proxy.Labels.TryGetValue(l.Key, out var value) && value == l.Value);
    }

    private static JwtProvider Provider(JwtRule rule, MeshSnapshot snapshot)
    {
        var jwks = rule.Jwks.Length > 0 ? rule.Jwks
            : snapshot.Jwks.TryGetValue(rule.JwksUri, out var fetched) ? fetched
            : UnreachableJwks;
        var provider = new JwtProvider
        {
            Issuer = rule.Issuer,
            Audiences = { rule.Audiences },
            Forward = rule.ForwardOriginalToken,
            ForwardPayloadHeader = rule.OutputPayloadToHeader,
            PayloadInMetadata = PayloadMetadataKey,
            NormalizePayloadInMetadata = new JwtProvider.Types.NormalizePayload
            {
                SpaceDelimitedClaims = { rule.SpaceDelimitedClaims.Concat(DefaultSpaceDelimitedClaims).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal) },
            },
            LocalJwks = new DataSource { InlineString = jwks },
            FromParams = { rule.FromParams },
            FromCookies = { rule.FromCookies },
        };
        provider.FromHeaders.AddRange(rule.FromHeaders.Select(h => new Envoy.Extensions.Filters.Http.JwtAuthn.V3.JwtHeader { Name = h.Name, ValuePrefix = h.Prefix }));
        provider.ClaimToHeaders.AddRange(rule.OutputClaimToHeaders.Select(c => new JwtClaimToHeader { HeaderName = c.Header, ClaimName = c.Claim }));
        return provider;
    }
}
