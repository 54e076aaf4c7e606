using Envoy.Extensions.Filters.Http.JwtAuthn.V3;

namespace Meshwork.Proxy.Authn;

/// <summary>
/// Envoy's JwtRequirement tree compiled: a provider (optionally with other audiences), any-of,
/// all-of, allow_missing and allow_missing_or_failed. Evaluated against one request's
/// <see cref="JwtCheck"/>, which verifies each token once however many nodes look at it.
/// </summary>
internal abstract class JwtRequirementPlan
{
    public abstract JwtStatus Evaluate(JwtCheck check);

    public static JwtRequirementPlan Compile(JwtRequirement requirement, IReadOnlyDictionary<string, JwtProviderPlan> providers, string where) =>
        requirement.RequiresTypeCase switch
        {
            JwtRequirement.RequiresTypeOneofCase.ProviderName => new ProviderRequirement(Find(requirement.ProviderName, providers, where)),
            JwtRequirement.RequiresTypeOneofCase.ProviderAndAudiences => throw new ProxyConfigException($"{where}.provider_and_audiences: not supported; give the provider its audiences"),
            JwtRequirement.RequiresTypeOneofCase.RequiresAny => new AnyRequirement(List(requirement.RequiresAny.Requirements, providers, $"{where}.requires_any")),
            JwtRequirement.RequiresTypeOneofCase.RequiresAll => new AllRequirement(List(requirement.RequiresAll.Requirements, providers, $"{where}.requires_all")),
            JwtRequirement.RequiresTypeOneofCase.AllowMissing => new AllowMissingRequirement(failedToo: false),
            JwtRequirement.RequiresTypeOneofCase.AllowMissingOrFailed => new AllowMissingRequirement(failedToo: true),
            _ => new AllowMissingRequirement(failedToo: true),
        };

    private static JwtProviderPlan Find(string name, IReadOnlyDictionary<string, JwtProviderPlan> providers, string where) =>
        providers.TryGetValue(name, out var provider) ? provider : throw new ProxyConfigException($"{where}.provider_name: no provider named \"{name}\"");

    private static JwtRequirementPlan[] List(IEnumerable<JwtRequirement> requirements, IReadOnlyDictionary<string, JwtProviderPlan> providers, string where)
    {
        var list = requirements.Select((r, i) => Compile(r, providers, $"{where}.requirements[{i}]")).ToArray();
        return list.Length >= 2 ? list : throw new ProxyConfigException($"{where}.requirements: at least 2 are required, got {list.Length}");
    }

    private sealed class ProviderRequirement(JwtProviderPlan provider) : JwtRequirementPlan
    {
        public override JwtStatus Evaluate(JwtCheck check) => check.ForProvider(provider);
    }

    /// <summary>Passes when any child does; otherwise the first failure that is not a missing token, as Envoy reports it.</summary>
    private sealed class AnyRequirement(JwtRequirementPlan[] children) : JwtRequirementPlan
    {
        public override JwtStatus Evaluate(JwtCheck check)
        {
            var failure = JwtStatus.Missing;
            foreach (var child in children)
            {
                var status = child.Evaluate(check);
                if (status == JwtStatus.Ok)
                {
                    return JwtStatus.Ok;
                }

                if (failure == JwtStatus.Missing)
                {
                    failure = status;
                }
            }

            return failure;
        }
    }

    private sealed class AllRequirement(JwtRequirementPlan[] children) : JwtRequirementPlan
    {
        public override JwtStatus Evaluate(JwtCheck check)
        {
            foreach (var child in children)
            {
                var status = child.Evaluate(check);
                if (status != JwtStatus.Ok)
                {
                    return status;
                }
            }

            return JwtStatus.Ok;
        }
    }

    /// <summary>Every token at any provider's locations must verify with the provider of its issuer; no token passes.</summary>
    private sealed class AllowMissingRequirement(bool failedToo) : JwtRequirementPlan
    {
        public override JwtStatus Evaluate(JwtCheck check)
        {
            var status = check.AnyPresent();
            return failedToo || status == JwtStatus.Missing ? JwtStatus.Ok : status;
        }
    }
}
