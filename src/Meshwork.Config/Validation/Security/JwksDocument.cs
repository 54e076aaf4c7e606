using System.Text.Json;

namespace Meshwork.Config.Validation.Security;

/// <summary>
/// Checks an inline JSON Web Key Set the way Istio's jwk.Parse (lestrrat-go/jwx) reads it: a set
/// (<c>{"keys": [...]}</c>) or a single key, each with a supported <c>kty</c> and the members that
/// type requires, base64url encoded. Returns null when the document parses.
/// </summary>
public static class JwksDocument
{
    private static readonly string[] Curves = ["P-256", "P-384", "P-521"];
    private static readonly string[] OctetCurves = ["Ed25519", "X25519"];

    public static string? Error(string jwks)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(jwks);
        }
        catch (JsonException e)
        {
            return $"invalid JSON at line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}";
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return $"expected a JSON object (a key set or a key), got {Describe(root)}";
            }

            if (!root.TryGetProperty("keys", out var keys))
            {
                return KeyError(root);
            }

            if (keys.ValueKind != JsonValueKind.Array)
            {
                return $"\"keys\" must be an array, got {Describe(keys)}";
            }

            var index = 0;
            foreach (var key in keys.EnumerateArray())
            {
                var error = key.ValueKind != JsonValueKind.Object ? $"expected a JSON object, got {Describe(key)}" : KeyError(key);
                if (error != null)
                {
                    return $"keys[{index}]: {error}";
                }

                index++;
            }

            return null;
        }
    }

    private static string? KeyError(JsonElement key)
    {
        if (!key.TryGetProperty("kty", out var kty))
        {
            return "required field \"kty\" is missing";
        }

        if (kty.ValueKind != JsonValueKind.String)
        {
            return $"\"kty\" must be a string, got {Describe(kty)}";
        }

        return kty.GetString() switch
        {
            "RSA" => Members(key, "n", "e"),
            "EC" => Curve(key, Curves) ?? Members(key, "x", "y"),
            "oct" => Members(key, "k"),
            "OKP" => Curve(key, OctetCurves) ?? Members(key, "x"),
            var other => $"unsupported \"kty\" value \"{other}\", expected RSA, EC, oct or OKP",
        };
    }

    private static string? Curve(JsonElement key, string[] supported)
    {
        if (!key.TryGetProperty("crv", out var crv))
        {
            return "required field \"crv\" is missing";
        }

        var name = crv.ValueKind == JsonValueKind.String ? crv.GetString() : null;
        return name != null && supported.Contains(name)
            ? null
            : $"unsupported \"crv\" value {crv.GetRawText()}, expected {string.Join(", ", supported)}";
    }

    private static string? Members(JsonElement key, params string[] names)
    {
        foreach (var name in names)
        {
            if (!key.TryGetProperty(name, out var member))
            {
                return $"required field \"{name}\" is missing";
            }

            if (member.ValueKind != JsonValueKind.String || !IsBase64(member.GetString()!))
            {
                return $"field \"{name}\" must be a base64url-encoded string";
            }
        }

        return null;
    }

    private static bool IsBase64(string value)
    {
        // jwx accepts the URL and the standard alphabets, padded or not.
        var normalized = value.TrimEnd('=').Replace('-', '+').Replace('_', '/');
        if (normalized.Length % 4 == 1)
        {
            return false;
        }

        normalized = normalized.PadRight(normalized.Length + ((4 - (normalized.Length % 4)) % 4), '=');
        return normalized.Length > 0 && Convert.TryFromBase64String(normalized, new byte[normalized.Length], out _);
    }

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "an object",
    };
}
