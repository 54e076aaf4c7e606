using Meshwork.Config.Binding;
using Meshwork.Config.Values;

namespace Meshwork.Config.Networking;

// The HTTP route family of virtual_service.proto: what a request must match and what the route
// does to it (redirect, direct response, rewrite, headers, mirrors).

/// <summary>istio.networking.v1alpha3.HTTPMatchRequest: conditions ANDed within one match; the matches of a route are ORed.</summary>
public sealed record HttpMatchRequest
{
    public string Name { get; init; } = string.Empty;

    public StringMatch? Uri { get; init; }

    public StringMatch? Scheme { get; init; }

    public StringMatch? Method { get; init; }

    public StringMatch? Authority { get; init; }

    /// <summary>Header name to match; an empty match (<c>{}</c>) tests presence. A name may be a JWT claim (<c>@request.auth.claims.sub</c>) on gateways.</summary>
    public ValueMap<string, StringMatch?> Headers { get; init; }

    public uint Port { get; init; }

    public ValueMap<string, string> SourceLabels { get; init; }

    public ValueList<string> Gateways { get; init; }

    public ValueMap<string, StringMatch?> QueryParams { get; init; }

    public bool IgnoreUriCase { get; init; }

    public ValueMap<string, StringMatch?> WithoutHeaders { get; init; }

    public string SourceNamespace { get; init; } = string.Empty;

    public string StatPrefix { get; init; } = string.Empty;
}

/// <summary>istio.networking.v1alpha3.HTTPRedirect: answer with a 3xx to a new URI, authority, scheme or port.</summary>
public sealed record HttpRedirect
{
    public string Uri { get; init; } = string.Empty;

    public string Authority { get; init; } = string.Empty;

    [OneOf("redirectPort")]
    public uint? Port { get; init; }

    [OneOf("redirectPort")]
    public RedirectPortSelection? DerivePort { get; init; }

    public string Scheme { get; init; } = string.Empty;

    /// <summary>Defaults to 301 (Moved Permanently).</summary>
    public uint RedirectCode { get; init; }

    /// <summary>Replaces only the matched prefix of the path (Istio 1.31); exclusive with <see cref="Uri"/>.</summary>
    public string PrefixRewrite { get; init; } = string.Empty;
}

/// <summary>HTTPRedirect.RedirectPortSelection: how a redirect picks its port when <c>derivePort</c> is set.</summary>
public enum RedirectPortSelection
{
    /// <summary>80 for http, 443 for https.</summary>
    FromProtocolDefault = 0,

    /// <summary>The port the request came in on.</summary>
    FromRequestPort = 1,
}

/// <summary>istio.networking.v1alpha3.HTTPDirectResponse: answer the request from the proxy.</summary>
public sealed record HttpDirectResponse
{
    public uint Status { get; init; }

    public HttpBody? Body { get; init; }
}

/// <summary>istio.networking.v1alpha3.HTTPBody: a direct response body, as text or as base64 bytes.</summary>
public sealed record HttpBody
{
    [OneOf("specifier")]
    public string? String { get; init; }

    [OneOf("specifier")]
    public ValueList<byte>? Bytes { get; init; }
}

/// <summary>istio.networking.v1alpha3.HTTPRewrite: rewrite the path and authority before forwarding.</summary>
public sealed record HttpRewrite
{
    /// <summary>Replaces the matched prefix (or the whole path for an exact match).</summary>
    public string Uri { get; init; } = string.Empty;

    public string Authority { get; init; } = string.Empty;

    public RegexRewrite? UriRegexRewrite { get; init; }
}

/// <summary>istio.networking.v1alpha3.RegexRewrite: replace what an RE2 regex matches in the path; <c>\1</c> refers to a capture group.</summary>
public sealed record RegexRewrite
{
    public string Match { get; init; } = string.Empty;

    public string Rewrite { get; init; } = string.Empty;
}

/// <summary>istio.networking.v1alpha3.Headers: header operations on the request to the destination and on the response back.</summary>
public sealed record Headers
{
    public HeaderOperations? Request { get; init; }

    public HeaderOperations? Response { get; init; }
}

/// <summary>Headers.HeaderOperations: overwrite (<c>set</c>), append (<c>add</c>) and delete (<c>remove</c>) headers.</summary>
public sealed record HeaderOperations
{
    public ValueMap<string, string> Set { get; init; }

    public ValueMap<string, string> Add { get; init; }

    public ValueList<string> Remove { get; init; }
}

/// <summary>istio.networking.v1alpha3.HTTPMirrorPolicy: one destination that receives a copy of the traffic.</summary>
public sealed record HttpMirrorPolicy
{
    public Destination? Destination { get; init; }

    /// <summary>Share of requests mirrored; all of them when unset.</summary>
    public Percent? Percentage { get; init; }
}
