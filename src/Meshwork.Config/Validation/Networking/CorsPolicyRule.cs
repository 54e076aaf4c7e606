using Meshwork.Config.Binding;
using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// CORS policies (validateCORSPolicy): origins as non-empty string matches (regexes RE2), methods Go knows
/// (or <c>*</c>), header names as tokens (or <c>*</c>), and a max age of whole seconds, at least 1ms.
/// </summary>
public sealed class CorsPolicyRule : SpecRule<VirtualService>
{
    private static readonly string[] Methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*"];

    protected override void Check(VirtualService spec, RuleContext context)
    {
        for (var i = 0; i < spec.Http.Count; i++)
        {
            if (spec.Http[i].CorsPolicy is { } policy)
            {
                CheckPolicy(policy, $"spec.http[{i}].corsPolicy", context);
            }
        }
    }

    private static void CheckPolicy(CorsPolicy policy, string path, RuleContext context)
    {
        for (var k = 0; k < policy.AllowOrigins.Count; k++)
        {
            var origin = policy.AllowOrigins[k];
            var item = $"{path}.allowOrigins[{k}]";
            if ((origin.Exact ?? origin.Prefix ?? origin.Regex ?? string.Empty).Length == 0)
            {
                context.Error(item, "must set a non-empty exact, prefix or regex to match allowed origins");
            }
            else if (origin.Regex != null)
            {
                RoutingChecks.Regex(origin.Regex, item + ".regex", context);
            }
        }

        for (var k = 0; k < policy.AllowMethods.Count; k++)
        {
            if (!Methods.Contains(policy.AllowMethods[k]))
            {
                context.Error($"{path}.allowMethods[{k}]", $"\"{policy.AllowMethods[k]}\" is not a supported HTTP method, expected one of: {string.Join(", ", Methods)}");
            }
        }

        CheckHeaderNames(policy.AllowHeaders, path + ".allowHeaders", context);
        CheckHeaderNames(policy.ExposeHeaders, path + ".exposeHeaders", context);
        if (policy.MaxAge is { } maxAge)
        {
            if (Checks.Duration(maxAge) is { } error)
            {
                context.Error(path + ".maxAge", error);
            }

            if (maxAge.Ticks % TimeSpan.TicksPerSecond > 0)
            {
                context.Error(path + ".maxAge", $"max_age duration is accurate only to seconds precision, got {GoDuration.Format(maxAge)}");
            }
        }
    }

    private static void CheckHeaderNames(Values.ValueList<string> names, string path, RuleContext context)
    {
        for (var k = 0; k < names.Count; k++)
        {
            if (HttpHeaderChecks.CorsName(names[k]) is { } error)
            {
                context.Error($"{path}[{k}]", error);
            }
        }
    }
}
