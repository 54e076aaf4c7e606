using Envoy.Config.Route.V3;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Proxy.Routing;

/// <summary>
/// A virtual host, compiled: its routes in order (the first whose conditions hold wins) and its TLS
/// requirement, which Envoy enforces before any route by answering a plain-HTTP request with a 301
/// to https (ALL) or doing so only for external requests (EXTERNAL_ONLY).
/// </summary>
public sealed class CompiledVirtualHost
{
    private readonly CompiledRoute[] _routes;
    private readonly VirtualHost.Types.TlsRequirementType _requireTls;

    internal CompiledVirtualHost(string name, IReadOnlyList<string> domains, CompiledRoute[] routes, VirtualHost.Types.TlsRequirementType requireTls)
    {
        Name = name;
        Domains = domains;
        _routes = routes;
        _requireTls = requireTls;
        TlsRedirectRoute = new CompiledRoute(string.Empty, RouteConditions.Compile(new RouteMatch { Prefix = "/" }, name))
        {
            Kind = RouteActionKind.Redirect,
            Redirect = RedirectTarget.HttpsRedirect,
        };
    }

    public string Name { get; }

    public IReadOnlyList<string> Domains { get; }

    public IReadOnlyList<CompiledRoute> Routes => _routes;

    /// <summary>The route a request gets when this host requires TLS and the request came over plain HTTP.</summary>
    public CompiledRoute TlsRedirectRoute { get; }

    internal CompiledRoute? Match(HttpRequest request, double random01)
    {
        if (_requireTls != VirtualHost.Types.TlsRequirementType.None && NeedsTlsRedirect(request))
        {
            return TlsRedirectRoute;
        }

        foreach (var route in _routes)
        {
            if (route.Conditions.Matches(request, random01))
            {
                return route;
            }
        }

        return null;
    }

    /// <summary>Envoy reads x-forwarded-proto (set by the connection manager); internal requests (x-envoy-internal) pass under EXTERNAL_ONLY.</summary>
    private bool NeedsTlsRedirect(HttpRequest request)
    {
        if (string.Equals(RedirectTarget.RequestScheme(request), "https", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return _requireTls == VirtualHost.Types.TlsRequirementType.All || request.Headers["x-envoy-internal"] != "true";
    }

    public override string ToString() => $"virtual_host \"{Name}\"";
}
