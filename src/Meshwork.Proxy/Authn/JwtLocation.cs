using Microsoft.Extensions.Primitives;

namespace Meshwork.Proxy.Authn;

/// <summary>
/// Where a provider looks for its token (Envoy's from_headers, from_params, from_cookies); with none
/// configured, the Authorization header's Bearer token and then the access_token query parameter.
/// </summary>
internal sealed record JwtLocation(JwtLocation.Source Kind, string Name, string Prefix)
{
    public enum Source { Header, Param, Cookie }

    public static readonly IReadOnlyList<JwtLocation> Defaults =
    [
        new(Source.Header, "authorization", "Bearer "),
        new(Source.Param, "access_token", string.Empty),
    ];

    /// <summary>The token at this location, or null.</summary>
    public string? Extract(HttpRequest request)
    {
        switch (Kind)
        {
            case Source.Header:
                foreach (var value in request.Headers[Name])
                {
                    var token = AfterPrefix(value);
                    if (token != null)
                    {
                        return token;
                    }
                }

                return null;
            case Source.Param:
                return request.Query.TryGetValue(Name, out var values) && !StringValues.IsNullOrEmpty(values) ? values[0] : null;
            default:
                return request.Cookies.TryGetValue(Name, out var cookie) && cookie.Length > 0 ? cookie : null;
        }
    }

    /// <summary>Takes the token out of the request after it was verified (forward: false); Envoy does so for headers only.</summary>
    public void Remove(HttpRequest request)
    {
        if (Kind == Source.Header)
        {
            request.Headers.Remove(Name);
        }
    }

    private string? AfterPrefix(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (Prefix.Length == 0)
        {
            return value.Trim();
        }

        // The auth scheme is case-insensitive (RFC 7235 §2.1).
        return value.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) ? value[Prefix.Length..].Trim() : null;
    }
}
