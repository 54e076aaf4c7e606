using System.Text.Json;
using Envoy.Extensions.Filters.Http.JwtAuthn.V3;
using Meshwork.Proxy.Connections;
using Meshwork.Proxy.Routing;

namespace Meshwork.Proxy.Authn;

/// <summary>
/// One jwt_authn provider compiled when the listener arrives: which issuer and audiences it accepts,
/// its keys, where its tokens are, and what a verified token adds to the request. Verification
/// follows Envoy's order: issuer, time (with clock skew), audiences, subject, then the signature.
/// </summary>
internal sealed class JwtProviderPlan
{
    private const long DefaultClockSkewSeconds = 60;
    private readonly string[] _audiences;
    private readonly IReadOnlyList<JsonWebKey> _keys;
    private readonly long _clockSkew;
    private readonly StringMatch? _subjects;
    private readonly bool _requireExpiration;
    private readonly long? _maxLifetime;

    private JwtProviderPlan(string name, JwtProvider provider, IReadOnlyList<JsonWebKey> keys, StringMatch? subjects)
    {
        Name = name;
        Issuer = provider.Issuer;
        _audiences = provider.Audiences.Select(NormalizeAudience).ToArray();
        _keys = keys;
        _clockSkew = provider.ClockSkewSeconds > 0 ? provider.ClockSkewSeconds : DefaultClockSkewSeconds;
        _subjects = subjects;
        _requireExpiration = provider.RequireExpiration;
        _maxLifetime = provider.MaxLifetime is { } max ? (long)max.ToTimeSpan().TotalSeconds : null;
        Forward = provider.Forward;
        ForwardPayloadHeader = provider.ForwardPayloadHeader;
        PadPayload = provider.PadForwardPayloadHeader;
        ClaimToHeaders = provider.ClaimToHeaders.Select(c => (c.HeaderName, c.ClaimName.Split('.'))).ToArray();
        var locations = provider.FromHeaders.Select(h => new JwtLocation(JwtLocation.Source.Header, h.Name, h.ValuePrefix))
            .Concat(provider.FromParams.Select(p => new JwtLocation(JwtLocation.Source.Param, p, string.Empty)))
            .Concat(provider.FromCookies.Select(c => new JwtLocation(JwtLocation.Source.Cookie, c, string.Empty)))
            .ToArray();
        Locations = locations.Length > 0 ? locations : JwtLocation.Defaults;
    }

    public string Name { get; }

    public string Issuer { get; }

    public IReadOnlyList<JwtLocation> Locations { get; }

    public bool Forward { get; }

    public string ForwardPayloadHeader { get; }

    public bool PadPayload { get; }

    public IReadOnlyList<(string Header, string[] ClaimPath)> ClaimToHeaders { get; }

    public static JwtProviderPlan Compile(string name, JwtProvider provider, string where)
    {
        where = $"{where}: providers[{name}]";
        var keys = provider.JwksSourceSpecifierCase switch
        {
            JwtProvider.JwksSourceSpecifierOneofCase.LocalJwks => JsonWebKeySet.Parse(TlsDataSources.ReadText(provider.LocalJwks, $"{where}.local_jwks"), $"{where}.local_jwks"),
            JwtProvider.JwksSourceSpecifierOneofCase.RemoteJwks => throw new ProxyConfigException($"{where}.remote_jwks: not supported; meshd fetches jwksUri and sends the keys inline (local_jwks)"),
            _ => throw new ProxyConfigException($"{where}: a provider needs local_jwks"),
        };
        foreach (var header in provider.FromHeaders)
        {
            if (header.Name.Length == 0)
            {
                throw new ProxyConfigException($"{where}.from_headers: a header name is required");
            }
        }

        foreach (var claim in provider.ClaimToHeaders)
        {
            if (claim.HeaderName.Length == 0 || claim.ClaimName.Length == 0)
            {
                throw new ProxyConfigException($"{where}.claim_to_headers: header_name and claim_name are required");
            }
        }

        var subjects = provider.Subjects != null ? StringMatch.Compile(provider.Subjects, $"{where}.subjects") : null;
        return new JwtProviderPlan(name, provider, keys, subjects);
    }

    /// <summary>Checks a parsed token at <paramref name="now"/> (Unix seconds).</summary>
    public JwtStatus Verify(JwtToken token, long now)
    {
        if (Issuer.Length > 0 && token.Issuer != Issuer)
        {
            return JwtStatus.UnknownIssuer;
        }

        if (token.ExpiresAt is { } exp)
        {
            if (now > exp + _clockSkew)
            {
                return JwtStatus.Expired;
            }

            if (_maxLifetime is { } max && exp - now > max)
            {
                return JwtStatus.LifetimeTooLong;
            }
        }
        else if (_requireExpiration || _maxLifetime != null)
        {
            return JwtStatus.NoExpiration;
        }

        if (token.NotBefore is { } nbf && now < nbf - _clockSkew)
        {
            return JwtStatus.NotYetValid;
        }

        if (_audiences.Length > 0 && !token.Audiences.Any(a => _audiences.Contains(NormalizeAudience(a), StringComparer.Ordinal)))
        {
            return JwtStatus.AudienceNotAllowed;
        }

        if (_subjects != null && !_subjects.Matches(token.Subject))
        {
            return JwtStatus.SubjectNotAllowed;
        }

        var fitting = false;
        foreach (var key in _keys)
        {
            if ((token.Kid.Length > 0 && key.Kid.Length > 0 && key.Kid != token.Kid) || !JwtSignatures.Fits(key, token.Alg))
            {
                continue;
            }

            fitting = true;
            if (JwtSignatures.Verify(key, token.Alg, token.SigningInput, token.Signature))
            {
                return JwtStatus.Ok;
            }
        }

        return fitting ? JwtStatus.VerificationFailed : JwtStatus.NoMatchingKey;
    }

    /// <summary>The claim at a dotted path ("sub", "realm.role") as header text: strings, numbers and booleans only, as Envoy.</summary>
    public static string? ClaimText(JsonElement payload, string[] path)
    {
        var current = payload;
        foreach (var part in path)
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current))
            {
                return null;
            }
        }

        return current.ValueKind switch
        {
            JsonValueKind.String => current.GetString(),
            JsonValueKind.Number => current.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        };
    }

    /// <summary>Envoy compares audiences without their http(s):// scheme and trailing slash.</summary>
    private static string NormalizeAudience(string audience)
    {
        var value = audience;
        if (value.StartsWith("http://", StringComparison.Ordinal))
        {
            value = value[7..];
        }
        else if (value.StartsWith("https://", StringComparison.Ordinal))
        {
            value = value[8..];
        }

        return value.TrimEnd('/');
    }
}
