using System.Globalization;
using Microsoft.AspNetCore.Http;
using EnvoyRedirect = Envoy.Config.Route.V3.RedirectAction;

namespace Meshwork.Proxy.Routing;

/// <summary>
/// A redirect route's answer, as Envoy's Http::Utility::newUri builds it: scheme (configured, https
/// for https_redirect, else the request's), host (configured, else the request's, dropping a port
/// the new scheme or port makes wrong), port, and path (path_redirect, whose own query wins; or a
/// prefix/regex rewrite of the request path; else the request path), then strip_query.
/// </summary>
public sealed class RedirectTarget
{
    private readonly string? _scheme;
    private readonly string _host;
    private readonly string _port;
    private readonly string? _pathRedirect;
    private readonly bool _pathRedirectHasQuery;
    private readonly PathRewriter? _pathRewriter;
    private readonly bool _stripQuery;

    private RedirectTarget(int statusCode, string? scheme, string host, string port, string? pathRedirect, PathRewriter? pathRewriter, bool stripQuery)
    {
        StatusCode = statusCode;
        _scheme = scheme;
        _host = host;
        _port = port;
        _pathRedirect = pathRedirect;
        _pathRedirectHasQuery = pathRedirect?.Contains('?', StringComparison.Ordinal) == true;
        _pathRewriter = pathRewriter;
        _stripQuery = stripQuery;
    }

    public int StatusCode { get; }

    /// <summary>The redirect Envoy sends for a virtual host that requires TLS: https, same host and path, 301.</summary>
    internal static RedirectTarget HttpsRedirect { get; } = new(StatusCodes.Status301MovedPermanently, "https", string.Empty, string.Empty, null, null, stripQuery: false);

    internal static RedirectTarget Compile(EnvoyRedirect redirect, RouteConditions conditions, string where)
    {
        var status = redirect.ResponseCode switch
        {
            EnvoyRedirect.Types.RedirectResponseCode.MovedPermanently => 301,
            EnvoyRedirect.Types.RedirectResponseCode.Found => 302,
            EnvoyRedirect.Types.RedirectResponseCode.SeeOther => 303,
            EnvoyRedirect.Types.RedirectResponseCode.TemporaryRedirect => 307,
            EnvoyRedirect.Types.RedirectResponseCode.PermanentRedirect => 308,
            _ => throw new ProxyConfigException($"{where}: redirect response_code {redirect.ResponseCode} is not known"),
        };
        var scheme = redirect.SchemeRewriteSpecifierCase switch
        {
            EnvoyRedirect.SchemeRewriteSpecifierOneofCase.HttpsRedirect when redirect.HttpsRedirect => "https",
            EnvoyRedirect.SchemeRewriteSpecifierOneofCase.SchemeRedirect when redirect.SchemeRedirect.Length > 0 => redirect.SchemeRedirect.ToLowerInvariant(),
            _ => null,
        };
        var port = redirect.PortRedirect > 0 ? ":" + redirect.PortRedirect.ToString(CultureInfo.InvariantCulture) : string.Empty;
        var pathRedirect = redirect.PathRewriteSpecifierCase == EnvoyRedirect.PathRewriteSpecifierOneofCase.PathRedirect && redirect.PathRedirect.Length > 0 ? redirect.PathRedirect : null;
        var rewriter = PathRewriter.Compile(
            redirect.PathRewriteSpecifierCase == EnvoyRedirect.PathRewriteSpecifierOneofCase.PrefixRewrite ? redirect.PrefixRewrite : string.Empty,
            redirect.PathRewriteSpecifierCase == EnvoyRedirect.PathRewriteSpecifierOneofCase.RegexRewrite ? redirect.RegexRewrite : null,
            conditions,
            $"{where}: redirect");
        return new RedirectTarget(status, scheme, redirect.HostRedirect, port, pathRedirect, rewriter, redirect.StripQuery);
    }

    public string BuildRedirectLocation(HttpRequest request)
    {
        var requestScheme = RequestScheme(request);
        var scheme = _scheme ?? requestScheme;
        var host = _host.Length > 0 ? _host : RequestHost(request.Host.Value ?? string.Empty, requestScheme, scheme, _port);

        string path;
        var query = request.QueryString.Value ?? string.Empty;
        if (_pathRedirect != null)
        {
            // A query in path_redirect replaces the request's and survives strip_query.
            path = _pathRedirectHasQuery ? _pathRedirect : _pathRedirect + (_stripQuery ? string.Empty : query);
        }
        else
        {
            // Kestrel hands over the path decoded; rewrites and the Location header work on it encoded again, as Envoy on the raw path.
            var requestPath = RequestValues.EncodedPath(request);
            path = (_pathRewriter?.Rewrite(requestPath) ?? requestPath) + (_stripQuery ? string.Empty : query);
        }

        if (!path.StartsWith('/'))
        {
            path = "/" + path;
        }

        return string.Concat(scheme, "://", host, _port, path);
    }

    /// <summary>Envoy reads the scheme from x-forwarded-proto, which the connection manager sets from the downstream connection.</summary>
    internal static string RequestScheme(HttpRequest request)
    {
        var forwarded = request.Headers["x-forwarded-proto"];
        return forwarded.Count > 0 && !string.IsNullOrEmpty(forwarded[0]) ? forwarded[0]! : request.Scheme;
    }

    /// <summary>Envoy's processRequestHost: drop the request's port when a new port is set, or when the scheme changes and the port was the old scheme's default.</summary>
    private static string RequestHost(string host, string requestScheme, string newScheme, string newPort)
    {
        if (host.Length == 0)
        {
            return host;
        }

        var portStart = host[0] == '[' ? host.LastIndexOf("]:", StringComparison.Ordinal) is var end and >= 0 ? end + 1 : -1 : host.LastIndexOf(':');
        if (portStart < 0)
        {
            return host;
        }

        var port = host.AsSpan(portStart);
        var removePort = newPort.Length > 0;
        if (!string.Equals(newScheme, requestScheme, StringComparison.Ordinal))
        {
            removePort |= requestScheme == "https" && port.SequenceEqual(":443");
            removePort |= requestScheme == "http" && port.SequenceEqual(":80");
        }

        return removePort ? host[..portStart] : host;
    }
}
