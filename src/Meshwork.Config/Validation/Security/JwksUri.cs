using System.Globalization;

namespace Meshwork.Config.Validation.Security;

/// <summary>
/// Istio's security.ParseJwksURI: Go's url.Parse, then an http or https scheme. Go's parser is
/// lenient (a path without host parses), so only what it rejects is rejected here, with its wording.
/// </summary>
public static class JwksUri
{
    public static string? Error(string uri)
    {
        if (ParseError(uri) is { } parse)
        {
            return $"parse \"{uri}\": {parse}";
        }

        var scheme = Scheme(uri).ToLowerInvariant();
        if (scheme is not ("http" or "https"))
        {
            return $"URI scheme \"{scheme}\" is not supported, expected http or https";
        }

        var port = Port(uri);
        if (port.Length > 0 && !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            return $"strconv.Atoi: parsing \"{port}\": value out of range";
        }

        return null;
    }

    private static string? ParseError(string uri)
    {
        if (uri.Any(c => c < 0x20 || c == 0x7f))
        {
            return "net/url: invalid control character in URL";
        }

        var hash = uri.IndexOf('#', StringComparison.Ordinal);
        var fragment = hash < 0 ? string.Empty : uri[(hash + 1)..];
        var rest = hash < 0 ? uri : uri[..hash];
        if (EscapeError(fragment) is { } fragmentError)
        {
            return fragmentError;
        }

        var colon = SchemeEnd(rest);
        if (colon == 0)
        {
            return "missing protocol scheme";
        }

        var scheme = colon < 0 ? string.Empty : rest[..colon];
        rest = colon < 0 ? rest : rest[(colon + 1)..];
        var query = rest.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            rest = rest[..query];
        }

        if (!rest.StartsWith('/'))
        {
            if (scheme.Length > 0)
            {
                return null; // opaque: "mailto:x"
            }

            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            var first = slash < 0 ? rest : rest[..slash];
            if (first.Contains(':', StringComparison.Ordinal))
            {
                return "first path segment in URL cannot contain colon";
            }
        }

        if (rest.StartsWith("//", StringComparison.Ordinal) && (scheme.Length > 0 || !rest.StartsWith("///", StringComparison.Ordinal)))
        {
            var authority = rest[2..];
            var end = authority.IndexOf('/', StringComparison.Ordinal);
            var path = end < 0 ? string.Empty : authority[end..];
            authority = end < 0 ? authority : authority[..end];
            var at = authority.LastIndexOf('@');
            var host = at < 0 ? authority : authority[(at + 1)..];
            if (at >= 0 && authority[..at].Any(c => !IsUserinfoChar(c)))
            {
                return "net/url: invalid userinfo";
            }

            return HostError(host) ?? EscapeError(path);
        }

        return EscapeError(rest);
    }

    private static int SchemeEnd(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (char.IsAsciiLetter(c))
            {
                continue;
            }

            if (char.IsAsciiDigit(c) || c is '+' or '-' or '.')
            {
                if (i == 0)
                {
                    return -1;
                }

                continue;
            }

            return c == ':' ? i : -1;
        }

        return -1;
    }

    private static string Scheme(string uri)
    {
        var end = SchemeEnd(uri);
        return end <= 0 ? string.Empty : uri[..end];
    }

    private static string Port(string uri)
    {
        var end = SchemeEnd(uri);
        var rest = end < 0 ? uri : uri[(end + 1)..];
        if (!rest.StartsWith("//", StringComparison.Ordinal))
        {
            return string.Empty;
        }

        var authority = rest[2..];
        var stop = authority.IndexOfAny(['/', '?', '#']);
        authority = stop < 0 ? authority : authority[..stop];
        authority = authority[(authority.LastIndexOf('@') + 1)..];
        var close = authority.LastIndexOf(']');
        var colon = authority.LastIndexOf(':');
        return colon > close ? authority[(colon + 1)..] : string.Empty;
    }

    private static string? HostError(string host)
    {
        string colonPort;
        if (host.StartsWith('['))
        {
            var close = host.LastIndexOf(']');
            if (close < 0)
            {
                return "missing ']' in host";
            }

            colonPort = host[(close + 1)..];
            var literal = host[1..close];
            var zone = literal.IndexOf("%25", StringComparison.Ordinal);
            var address = zone < 0 ? literal : literal[..zone];
            if (!address.Contains(':', StringComparison.Ordinal) || !System.Net.IPAddress.TryParse(address, out _))
            {
                return $"invalid IP-literal \"{host[..(close + 1)]}\"";
            }

            host = zone < 0 ? string.Empty : literal[(zone + 3)..];
        }
        else
        {
            var colon = host.LastIndexOf(':');
            colonPort = colon < 0 ? string.Empty : host[colon..];
            host = colon < 0 ? host : host[..colon];
        }

        if (colonPort.Length > 0 && !colonPort[1..].All(char.IsAsciiDigit))
        {
            return $"invalid port \"{colonPort}\" after host";
        }

        if (EscapeError(host) is { } escape)
        {
            return escape;
        }

        foreach (var c in host)
        {
            if (c < 0x80 && c != '%' && !IsHostChar(c))
            {
                return $"invalid character \"{c}\" in host name";
            }
        }

        return null;
    }

    private static string? EscapeError(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '%' && (i + 2 >= s.Length || !char.IsAsciiHexDigit(s[i + 1]) || !char.IsAsciiHexDigit(s[i + 2])))
            {
                var bad = s[i..Math.Min(s.Length, i + 3)];
                return $"invalid URL escape \"{bad}\"";
            }
        }

        return null;
    }

    private static bool IsHostChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || "-._~!$&'()*+,;=:[]<>\"".Contains(c, StringComparison.Ordinal);

    private static bool IsUserinfoChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || "-._:~!$&'()*+,;=%@".Contains(c, StringComparison.Ordinal);
}
