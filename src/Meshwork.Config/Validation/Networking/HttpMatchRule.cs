using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// HTTP match conditions (validateHTTPRouteMatchRequest): header and query names and string matches (RE2
/// regexes, no empty prefix except on <c>uri</c>), port, source labels, source namespace and gateways; and
/// JWT-claim header matches only in a VirtualService that applies to gateways alone.
/// </summary>
public sealed class HttpMatchRule : SpecRule<VirtualService>
{
    protected override void Check(VirtualService spec, RuleContext context)
    {
        var claimsAllowed = RoutingChecks.AppliesToGatewayOnly(spec);
        for (var i = 0; i < spec.Http.Count; i++)
        {
            for (var j = 0; j < spec.Http[i].Match.Count; j++)
            {
                CheckMatch(spec.Http[i].Match[j], $"spec.http[{i}].match[{j}]", claimsAllowed, context);
            }
        }
    }

    private static void CheckMatch(HttpMatchRequest match, string path, bool claimsAllowed, RuleContext context)
    {
        foreach (var (name, header) in match.Headers)
        {
            var at = $"{path}.headers[{name}]";
            if (header == null)
            {
                context.Error(at, "header match cannot be null (use {} to match on presence)");
            }

            CheckName(name, at, claimsAllowed, context);
            RoutingChecks.StringMatch(header, at, context);
        }

        foreach (var (name, header) in match.WithoutHeaders)
        {
            var at = $"{path}.withoutHeaders[{name}]";
            CheckName(name, at, claimsAllowed, context);

            // regex "*" is not RE2 here: Istio turns it into a presence match.
            if (header?.Regex != "*")
            {
                RoutingChecks.StringMatch(header, at, context);
            }
        }

        // Envoy accepts an empty prefix on the path, but not on scheme, method or authority.
        RoutingChecks.StringMatch(match.Uri, path + ".uri", context, allowEmptyPrefix: true);
        RoutingChecks.StringMatch(match.Scheme, path + ".scheme", context);
        RoutingChecks.StringMatch(match.Method, path + ".method", context);
        RoutingChecks.StringMatch(match.Authority, path + ".authority", context);
        foreach (var (name, param) in match.QueryParams)
        {
            RoutingChecks.StringMatch(param, $"{path}.queryParams[{name}]", context);
        }

        if (match.Port != 0 && Checks.Port(match.Port) is { } portError)
        {
            context.Error(path + ".port", portError);
        }

        foreach (var (key, message) in Checks.Labels(match.SourceLabels))
        {
            context.Error($"{path}.sourceLabels[{key}]", message);
        }

        RoutingChecks.GatewayNames(match.Gateways, path + ".gateways", context);
        if (match.SourceNamespace.Length > 0 && !Checks.IsDns1123Label(match.SourceNamespace))
        {
            context.Error(path + ".sourceNamespace", $"invalid source namespace \"{match.SourceNamespace}\": must be a DNS-1123 label");
        }
    }

    private static void CheckName(string name, string path, bool claimsAllowed, RuleContext context)
    {
        if (HttpHeaderChecks.MatchName(name) is { } error)
        {
            context.Error(path, error);
        }

        if (!claimsAllowed && HttpHeaderChecks.IsJwtClaim(name))
        {
            context.Error(path, "JWT claim based routing is only supported for gateways: list the gateways in spec.gateways, without mesh");
        }
    }
}
