using System.Text;
using System.Text.Json;

namespace Meshwork.Proxy.Authn;

/// <summary>
/// A compact JWS taken apart (RFC 7515/7519): the header's alg and kid, the payload's registered
/// claims and the whole payload for claim lookups, the signing input and the signature. Parsing
/// checks shape only; <see cref="JwtProviderPlan"/> decides whether the token is good.
/// </summary>
internal sealed class JwtToken
{
    private JwtToken(string raw, string alg, string kid, JsonElement payload, string payloadSegment, byte[] signingInput, byte[] signature)
    {
        Raw = raw;
        Alg = alg;
        Kid = kid;
        Payload = payload;
        PayloadSegment = payloadSegment;
        SigningInput = signingInput;
        Signature = signature;
        Issuer = Text(payload, "iss");
        Subject = Text(payload, "sub");
        Presenter = Text(payload, "azp");
        Audiences = AudiencesOf(payload);
        ExpiresAt = Seconds(payload, "exp");
        NotBefore = Seconds(payload, "nbf");
    }

    public string Raw { get; }

    public string Alg { get; }

    public string Kid { get; }

    /// <summary>The payload as JSON, for claims (request.auth.claims, claim_to_headers).</summary>
    public JsonElement Payload { get; }

    /// <summary>The payload exactly as it came, base64url: what forward_payload_header forwards.</summary>
    public string PayloadSegment { get; }

    public byte[] SigningInput { get; }

    public byte[] Signature { get; }

    public string Issuer { get; }

    public string Subject { get; }

    public string Presenter { get; }

    public IReadOnlyList<string> Audiences { get; }

    public long? ExpiresAt { get; }

    public long? NotBefore { get; }

    public static JwtStatus TryParse(string raw, out JwtToken? token)
    {
        token = null;
        var first = raw.IndexOf('.');
        var second = first < 0 ? -1 : raw.IndexOf('.', first + 1);
        if (first < 0 || second < 0 || raw.IndexOf('.', second + 1) >= 0)
        {
            return JwtStatus.BadFormat;
        }

        var headerPart = raw.AsSpan(0, first);
        var payloadPart = raw.AsSpan(first + 1, second - first - 1);
        var signaturePart = raw.AsSpan(second + 1);
        if (!Base64Url.TryDecode(headerPart, out var headerBytes))
        {
            return JwtStatus.HeaderBadBase64;
        }

        string alg;
        string kid;
        try
        {
            using var header = JsonDocument.Parse(headerBytes);
            if (header.RootElement.ValueKind != JsonValueKind.Object)
            {
                return JwtStatus.HeaderBadJson;
            }

            if (!header.RootElement.TryGetProperty("alg", out var algValue) || algValue.ValueKind != JsonValueKind.String)
            {
                return JwtStatus.HeaderBadAlg;
            }

            alg = algValue.GetString()!;
            kid = Text(header.RootElement, "kid");
        }
        catch (JsonException)
        {
            return JwtStatus.HeaderBadJson;
        }

        if (!JwtSignatures.IsSupported(alg))
        {
            // "none" and HMAC among them: a token anyone could have made is never accepted.
            return JwtStatus.HeaderUnsupportedAlg;
        }

        if (!Base64Url.TryDecode(payloadPart, out var payloadBytes))
        {
            return JwtStatus.PayloadBadBase64;
        }

        JsonElement payload;
        try
        {
            using var document = JsonDocument.Parse(payloadBytes);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return JwtStatus.PayloadBadJson;
            }

            payload = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JwtStatus.PayloadBadJson;
        }

        if (!Base64Url.TryDecode(signaturePart, out var signature))
        {
            return JwtStatus.SignatureBadBase64;
        }

        token = new JwtToken(raw, alg, kid, payload, payloadPart.ToString(), Encoding.ASCII.GetBytes(raw, 0, second), signature);
        return JwtStatus.Ok;
    }

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : string.Empty;

    private static long? Seconds(JsonElement payload, string name) =>
        payload.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.TryGetInt64(out var whole) ? whole : (long)value.GetDouble()
            : null;

    private static IReadOnlyList<string> AudiencesOf(JsonElement payload)
    {
        if (!payload.TryGetProperty("aud", out var aud))
        {
            return [];
        }

        return aud.ValueKind switch
        {
            JsonValueKind.String => [aud.GetString()!],
            JsonValueKind.Array => aud.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!).ToArray(),
            _ => [],
        };
    }
}
