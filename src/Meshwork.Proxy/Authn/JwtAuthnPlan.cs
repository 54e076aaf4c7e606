using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.JwtAuthn.V3;
using Google.Protobuf.WellKnownTypes;

namespace Meshwork.Proxy.Authn;

/// <summary>
/// Envoy's jwt_authn HTTP filter (what Istio's RequestAuthentication becomes) compiled when its
/// listener arrives: the providers, the first-match rules with their requirements, and the headers
/// a verified token writes. Per request it strips those headers (so a client cannot pose as a
/// verified claim), checks the tokens the matching rule requires, and either rejects with 401 and
/// Envoy's reason or passes on what verified.
/// </summary>
internal sealed class JwtAuthnPlan
{
    public const string FilterName = "envoy.filters.http.jwt_authn";

    private readonly IReadOnlyDictionary<string, JwtProviderPlan> _providers;
    private readonly (string? Prefix, string? Path, JwtRequirementPlan? Requirement)[] _rules;
    private readonly bool _bypassCorsPreflight;
    private readonly bool _stripFailureResponse;
    private readonly string[] _outputHeaders;

    private JwtAuthnPlan(JwtAuthentication config, IReadOnlyDictionary<string, JwtProviderPlan> providers, (string?, string?, JwtRequirementPlan?)[] rules)
    {
        _providers = providers;
        _rules = rules;
        _bypassCorsPreflight = config.BypassCorsPreflight;
        _stripFailureResponse = config.StripFailureResponse;
        AllLocations = providers.Values.SelectMany(p => p.Locations).Distinct().ToArray();
        _outputHeaders = providers.Values
            .SelectMany(p => p.ClaimToHeaders.Select(c => c.Header).Append(p.ForwardPayloadHeader))
            .Where(h => h.Length > 0)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToArray();
    }

    /// <summary>Every location any provider reads, for allow_missing requirements.</summary>
    public IReadOnlyList<JwtLocation> AllLocations { get; }

    public static JwtAuthnPlan Compile(Any typedConfig, string where)
    {
        where = $"{where}: {FilterName}";
        if (!typedConfig.TryUnpack<JwtAuthentication>(out var config))
        {
            throw new ProxyConfigException($"{where}: typed_config must be a {JwtAuthentication.Descriptor.FullName}");
        }

        var providers = config.Providers.ToDictionary(p => p.Key, p => JwtProviderPlan.Compile(p.Key, p.Value, where), StringComparer.Ordinal);
        if (config.RequirementMap.Count > 0)
        {
            throw new ProxyConfigException($"{where}.requirement_map: not supported");
        }

        var rules = config.Rules.Select((rule, i) => CompileRule(rule, providers, $"{where}.rules[{i}]")).ToArray();
        return new JwtAuthnPlan(config, providers, rules);
    }

    public JwtProviderPlan? ProviderFor(string issuer, JwtLocation location)
    {
        JwtProviderPlan? any = null;
        foreach (var provider in _providers.Values)
        {
            if (provider.Issuer.Length == 0 || provider.Issuer == issuer)
            {
                if (provider.Locations.Contains(location))
                {
                    return provider;
                }

                any ??= provider;
            }
        }

        return any;
    }

    /// <summary>
    /// Runs the filter on <paramref name="request"/> at <paramref name="now"/> (Unix seconds): the
    /// verified tokens (none when no rule applies or no token was needed), or the failure.
    /// </summary>
    public JwtStatus Authenticate(HttpRequest request, long now, out IReadOnlyList<JwtToken> verified)
    {
        verified = [];
        foreach (var header in _outputHeaders)
        {
            request.Headers.Remove(header);
        }

        if (_bypassCorsPreflight && HttpMethods.IsOptions(request.Method) && request.Headers.ContainsKey("origin") && request.Headers.ContainsKey("access-control-request-method"))
        {
            return JwtStatus.Ok;
        }

        var requirement = Requirement(request.Path.Value ?? "/");
        if (requirement == null)
        {
            return JwtStatus.Ok;
        }

        var check = new JwtCheck(this, request, now);
        var status = requirement.Evaluate(check);
        if (status != JwtStatus.Ok)
        {
            return status;
        }

        var accepted = new JwtToken[check.Accepted.Count];
        for (var i = 0; i < accepted.Length; i++)
        {
            var (token, provider, location) = check.Accepted[i];
            accepted[i] = token;
            if (!provider.Forward)
            {
                location.Remove(request);
            }

            if (provider.ForwardPayloadHeader.Length > 0)
            {
                request.Headers[provider.ForwardPayloadHeader] = provider.PadPayload ? Pad(token.PayloadSegment) : token.PayloadSegment;
            }

            foreach (var (header, path) in provider.ClaimToHeaders)
            {
                if (JwtProviderPlan.ClaimText(token.Payload, path) is { } value)
                {
                    request.Headers[header] = value;
                }
            }
        }

        verified = accepted;
        return JwtStatus.Ok;
    }

    /// <summary>Envoy's 401: the reason in the body (unless stripped) and a Bearer challenge naming the request URL.</summary>
    public async Task RejectAsync(HttpContext context, JwtStatus status)
    {
        var request = context.Request;
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"http://{request.Host.Value}{request.Path.Value}\", error=\"invalid_token\"";
        if (!_stripFailureResponse)
        {
            var body = JwtStatusText.Of(status);
            context.Response.ContentType = "text/plain";
            context.Response.ContentLength = body.Length;
            await context.Response.WriteAsync(body, context.RequestAborted);
        }
    }

    private JwtRequirementPlan? Requirement(string path)
    {
        foreach (var (prefix, exact, requirement) in _rules)
        {
            if ((prefix != null && path.StartsWith(prefix, StringComparison.Ordinal)) || (exact != null && path == exact))
            {
                return requirement;
            }
        }

        return null;
    }

    private static (string?, string?, JwtRequirementPlan?) CompileRule(RequirementRule rule, IReadOnlyDictionary<string, JwtProviderPlan> providers, string where)
    {
        var match = rule.Match ?? throw new ProxyConfigException($"{where}.match: required");
        var (prefix, path) = match.PathSpecifierCase switch
        {
            RouteMatch.PathSpecifierOneofCase.Prefix => (match.Prefix, (string?)null),
            RouteMatch.PathSpecifierOneofCase.Path => (null, match.Path),
            _ => throw new ProxyConfigException($"{where}.match: only prefix and path matches are supported, got {match.PathSpecifierCase}"),
        };
        if (match.Headers.Count > 0 || match.QueryParameters.Count > 0)
        {
            throw new ProxyConfigException($"{where}.match: header and query parameter matches are not supported");
        }

        var requirement = rule.RequirementTypeCase switch
        {
            RequirementRule.RequirementTypeOneofCase.Requires => JwtRequirementPlan.Compile(rule.Requires, providers, $"{where}.requires"),
            RequirementRule.RequirementTypeOneofCase.RequirementName => throw new ProxyConfigException($"{where}.requirement_name: not supported"),
            _ => null,
        };
        return (prefix, path, requirement);
    }

    private static string Pad(string segment) => (segment.Length % 4) switch
    {
        2 => segment + "==",
        3 => segment + "=",
        _ => segment,
    };
}
