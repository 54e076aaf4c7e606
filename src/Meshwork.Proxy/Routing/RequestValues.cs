using Microsoft.AspNetCore.Http;

namespace Meshwork.Proxy.Routing;

/// <summary>
/// Where a header name used in a route reads from: Envoy's HTTP/2-style pseudo-headers map to
/// ASP.NET Core's request properties (<c>host</c> is <c>:authority</c> in Envoy), anything else is a
/// header. Resolved once per matcher so the request path only switches on an enum.
/// </summary>
internal enum RequestValueSource
{
    Header,
    Authority,
    Method,
    Path,
    Scheme,
    Absent,
}

internal static class RequestValues
{
    public static RequestValueSource SourceOf(string name) => name.ToLowerInvariant() switch
    {
        ":authority" or "host" => RequestValueSource.Authority,
        ":method" => RequestValueSource.Method,
        ":path" => RequestValueSource.Path,
        ":scheme" => RequestValueSource.Scheme,
        var other when other.StartsWith(':') => RequestValueSource.Absent,
        _ => RequestValueSource.Header,
    };

    /// <summary>The value Envoy's matchers see (several header lines joined with <c>,</c>), or null when absent.</summary>
    public static string? Get(HttpRequest request, RequestValueSource source, string name) => source switch
    {
        RequestValueSource.Authority => request.Host.HasValue ? request.Host.Value : null,
        RequestValueSource.Method => request.Method,
        RequestValueSource.Path => PathAndQuery(request),
        RequestValueSource.Scheme => request.Scheme,
        RequestValueSource.Header => request.Headers.TryGetValue(name, out var values) && values.Count > 0 ? values.ToString() : null,
        _ => null,
    };

    /// <summary>Envoy's <c>:path</c> carries the query; ASP.NET Core keeps them apart.</summary>
    public static string PathAndQuery(HttpRequest request) =>
        request.QueryString.HasValue ? string.Concat(EncodedPath(request), request.QueryString.Value) : EncodedPath(request);

    /// <summary>The path as routes match it (Kestrel's decoded form); an empty path is <c>/</c>.</summary>
    public static string PathOf(HttpRequest request) => request.Path.HasValue ? request.Path.Value! : "/";

    /// <summary>The path as it goes on the wire, which is what Envoy rewrites.</summary>
    public static string EncodedPath(HttpRequest request) => request.Path.HasValue ? request.Path.ToUriComponent() : "/";
}
