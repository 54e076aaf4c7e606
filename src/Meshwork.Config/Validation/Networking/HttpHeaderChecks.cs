using System.Text.RegularExpressions;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Istio's checks on header names and values (validation.go and header_value_validator.go). Each returns
/// null when the name or value is fine, else the message to report.
/// </summary>
public static partial class HttpHeaderChecks
{
    /// <summary>HTTP/2 pseudo-headers a route may match on.</summary>
    private static readonly HashSet<string> PseudoHeaders = [":method", ":scheme", ":authority", ":path", ":status"];

    /// <summary>ValidateHTTPHeaderNameOrJwtClaimRoute: a token (RFC 7230), a pseudo-header, or a JWT claim (<c>@request.auth.claims.sub</c>).</summary>
    public static string? MatchName(string name)
    {
        if (name.Length == 0)
        {
            return "header name cannot be empty";
        }

        if (IsJwtClaim(name) || PseudoHeaders.Contains(name))
        {
            return null;
        }

        return TokenName().IsMatch(name) ? null : $"header name \"{name}\" is not a valid header name";
    }

    /// <summary>ValidateCORSHTTPHeaderName: a token, or <c>*</c>.</summary>
    public static string? CorsName(string name)
    {
        if (name.Length == 0)
        {
            return "header name cannot be empty";
        }

        return name == "*" || TokenName().IsMatch(name) ? null : $"header name \"{name}\" is not a valid header name";
    }

    /// <summary>ValidateHTTPHeaderWithAuthorityOperationName: a request header to set or add; the authority may be set here (checked elsewhere for duplicates).</summary>
    public static string? RequestSetName(string name)
    {
        if (name.Length == 0)
        {
            return "header name cannot be empty";
        }

        return IsInternal(name) && !IsAuthority(name) ? $"invalid header \"{name}\": header cannot have \":\" prefix" : null;
    }

    /// <summary>ValidateHTTPHeaderOperationName: a request header to remove, or any response header operation.</summary>
    public static string? OperationName(string name)
    {
        if (name.Length == 0)
        {
            return "header name cannot be empty";
        }

        if (string.Equals(name, "host", StringComparison.OrdinalIgnoreCase))
        {
            return $"invalid header \"{name}\": cannot set Host header";
        }

        return IsInternal(name) ? $"invalid header \"{name}\": header cannot have \":\" prefix" : null;
    }

    /// <summary>ValidateHTTPHeaderValue: no control characters, and Envoy's <c>%VARIABLE%</c> syntax well formed (<c>%%</c> is a literal %).</summary>
    public static string? Value(string value)
    {
        if (!NoControlCharacters().IsMatch(value))
        {
            return $"invalid header value \"{Printable(value)}\": control characters are not allowed";
        }

        return EnvoyFormatError(value) is { } error ? $"header value configuration: {error}" : null;
    }

    /// <summary>Header names that refer to the authority (<c>:authority</c>, <c>host</c>).</summary>
    public static bool IsAuthority(string name) =>
        string.Equals(name, ":authority", StringComparison.OrdinalIgnoreCase) || string.Equals(name, "host", StringComparison.OrdinalIgnoreCase);

    /// <summary>jwt.ToRoutingClaim: <c>@request.auth.claims.a.b</c> or <c>@request.auth.claims[a][b]</c>.</summary>
    public static bool IsJwtClaim(string name)
    {
        const string prefix = "@request.auth.claims";
        if (!name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var rest = name[prefix.Length..];
        return (rest.StartsWith('.') && rest.Length > 1) || (rest.StartsWith('[') && rest.EndsWith(']') && rest.Length > 2);
    }

    /// <summary>The value with control characters written as <c>\uXXXX</c>, so a message never carries them raw.</summary>
    private static string Printable(string value) =>
        string.Concat(value.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));

    private static bool IsInternal(string name) => name.StartsWith(':') || string.Equals(name, "host", StringComparison.OrdinalIgnoreCase);

    private enum State
    {
        Literal,
        VariableName,
        ExpectArray,
        ExpectString,
        String,
        ExpectArrayDelimiterOrEnd,
        ExpectArgsEnd,
        ExpectVariableEnd,
    }

    /// <summary>The parser Envoy runs over custom header values (Istio's port of header_parser.cc), reduced to finding errors.</summary>
    private static string? EnvoyFormatError(string value)
    {
        var state = State.Literal;
        for (var pos = 0; pos < value.Length; pos++)
        {
            var ch = value[pos];
            var hasNext = pos + 1 < value.Length;
            switch (state)
            {
                case State.Literal when ch == '%':
                    if (!hasNext)
                    {
                        return "invalid header configuration. Un-escaped %";
                    }

                    if (value[pos + 1] == '%')
                    {
                        pos++;
                    }
                    else
                    {
                        state = State.VariableName;
                    }

                    break;
                case State.VariableName:
                    state = ch == '%' ? State.Literal : ch == '(' ? State.ExpectArray : state;
                    break;
                case State.ExpectArray:
                    state = ch == '[' ? State.ExpectString : ch != ' ' ? State.String : state;
                    break;
                case State.ExpectArrayDelimiterOrEnd:
                    if (ch == ',')
                    {
                        state = State.ExpectString;
                    }
                    else if (ch == ']')
                    {
                        state = State.ExpectArgsEnd;
                    }
                    else if (ch != ' ')
                    {
                        return "invalid header configuration. Expecting ',', ']', or whitespace";
                    }

                    break;
                case State.ExpectString:
                    if (ch == '"')
                    {
                        state = State.String;
                    }
                    else if (ch != ' ')
                    {
                        return "invalid header configuration. Expecting '\"'";
                    }

                    break;
                case State.String:
                    if (ch == '\\')
                    {
                        if (!hasNext)
                        {
                            return "invalid header configuration. Un-terminated backslash in JSON string";
                        }

                        pos++;
                    }
                    else if (ch == ')')
                    {
                        state = State.ExpectVariableEnd;
                    }
                    else if (ch == '"')
                    {
                        state = State.ExpectArrayDelimiterOrEnd;
                    }

                    break;
                case State.ExpectArgsEnd:
                    if (ch == ')')
                    {
                        state = State.ExpectVariableEnd;
                    }
                    else if (ch != ' ')
                    {
                        return "invalid header configuration. Expecting ')' or whitespace";
                    }

                    break;
                case State.ExpectVariableEnd:
                    if (ch == '%')
                    {
                        state = State.Literal;
                    }
                    else if (ch != ' ')
                    {
                        return "invalid header configuration. Expecting '%' or whitespace";
                    }

                    break;
            }
        }

        return state == State.Literal ? null : $"invalid header configuration. Un-terminated variable expression '{value}'";
    }

    // RFC 7230 tchar.
    [GeneratedRegex("^[!#$%&'*+\\-.^_`|~A-Za-z0-9]+\\z")]
    private static partial Regex TokenName();

    [GeneratedRegex("^[^\\u0000-\\u0008\\u000A-\\u001F\\u007F]*\\z")]
    private static partial Regex NoControlCharacters();
}
