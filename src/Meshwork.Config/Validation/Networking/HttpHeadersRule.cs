using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Header operations of HTTP routes and of their destinations: names Envoy lets a route change, values in
/// Envoy's <c>%VARIABLE%</c> syntax; and the authority rewritten in one place only (validateAuthorityRewrite).
/// </summary>
public sealed class HttpHeadersRule : SpecRule<VirtualService>
{
    protected override void Check(VirtualService spec, RuleContext context)
    {
        for (var i = 0; i < spec.Http.Count; i++)
        {
            var route = spec.Http[i];
            var path = $"spec.http[{i}]";
            RoutingChecks.HeaderOperations(route.Headers, path + ".headers", context);
            CheckAuthority(route, path, context);
            for (var j = 0; j < route.Route.Count; j++)
            {
                RoutingChecks.HeaderOperations(route.Route[j].Headers, $"{path}.route[{j}].headers", context);
            }
        }
    }

    /// <summary>rewrite.authority, then request set, then request add: the second one to set the authority is an error (Istio reports the first only).</summary>
    private static void CheckAuthority(HttpRoute route, string path, RuleContext context)
    {
        var current = route.Rewrite?.Authority ?? string.Empty;
        var request = route.Headers?.Request;
        if (request == null)
        {
            return;
        }

        var setters = request.Set.Select(e => (Op: "set", e.Key, e.Value)).Concat(request.Add.Select(e => (Op: "add", e.Key, e.Value)));
        foreach (var (op, name, value) in setters)
        {
            if (!HttpHeaderChecks.IsAuthority(name))
            {
                continue;
            }

            if (current.Length > 0)
            {
                context.Error($"{path}.headers.request.{op}[{name}]", $"authority header cannot be set multiple times: have \"{current}\", attempting to set \"{value}\"");
                return;
            }

            current = value;
        }
    }
}
