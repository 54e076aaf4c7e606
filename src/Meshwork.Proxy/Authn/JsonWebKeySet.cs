using System.Security.Cryptography;
using System.Text.Json;

namespace Meshwork.Proxy.Authn;

/// <summary>One public key of a JWKS, ready to verify: its kid and alg (empty when the set gives none) and the key itself.</summary>
internal sealed class JsonWebKey
{
    private JsonWebKey(string kid, string alg, RSA? rsa, ECDsa? ecdsa, string curve)
    {
        Kid = kid;
        Alg = alg;
        Rsa = rsa;
        Ecdsa = ecdsa;
        Curve = curve;
    }

    public string Kid { get; }

    public string Alg { get; }

    public RSA? Rsa { get; }

    public ECDsa? Ecdsa { get; }

    /// <summary>P-256, P-384 or P-521 for an EC key.</summary>
    public string Curve { get; }

    public static JsonWebKey ForRsa(string kid, string alg, RSA rsa) => new(kid, alg, rsa, null, string.Empty);

    public static JsonWebKey ForEcdsa(string kid, string alg, ECDsa ecdsa, string curve) => new(kid, alg, null, ecdsa, curve);
}

/// <summary>
/// A JSON Web Key Set (RFC 7517) parsed once when the filter config arrives: RSA and EC public
/// keys become RSA/ECDsa objects that every request verifies with. Keys of other types, private
/// parts and unknown members are skipped as Envoy's jwt_verify_lib skips them; a set with no usable
/// key is a config error, since it could verify nothing.
/// </summary>
internal static class JsonWebKeySet
{
    public static IReadOnlyList<JsonWebKey> Parse(string json, string where)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new ProxyConfigException($"{where}: the JWKS is not valid JSON: {e.Message}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("keys", out var keys)
                || keys.ValueKind != JsonValueKind.Array)
            {
                throw new ProxyConfigException($"{where}: the JWKS must be an object with a \"keys\" array");
            }

            var parsed = new List<JsonWebKey>();
            var index = 0;
            foreach (var key in keys.EnumerateArray())
            {
                var at = $"{where}: keys[{index++}]";
                var kty = Text(key, "kty");
                var kid = Text(key, "kid");
                var alg = Text(key, "alg");
                switch (kty)
                {
                    case "RSA":
                        parsed.Add(JsonWebKey.ForRsa(kid, alg, Rsa(key, at)));
                        break;
                    case "EC":
                        var curve = Text(key, "crv");
                        parsed.Add(JsonWebKey.ForEcdsa(kid, alg, Ec(key, curve, at), curve));
                        break;
                }
            }

            if (parsed.Count == 0)
            {
                throw new ProxyConfigException($"{where}: the JWKS has no RSA or EC public key");
            }

            return parsed;
        }
    }

    private static RSA Rsa(JsonElement key, string where)
    {
        var parameters = new RSAParameters { Modulus = Bytes(key, "n", where), Exponent = Bytes(key, "e", where) };
        try
        {
            var rsa = RSA.Create();
            rsa.ImportParameters(parameters);
            return rsa;
        }
        catch (CryptographicException e)
        {
            throw new ProxyConfigException($"{where}: invalid RSA key: {e.Message}");
        }
    }

    private static ECDsa Ec(JsonElement key, string curveName, string where)
    {
        var curve = curveName switch
        {
            "P-256" => ECCurve.NamedCurves.nistP256,
            "P-384" => ECCurve.NamedCurves.nistP384,
            "P-521" => ECCurve.NamedCurves.nistP521,
            _ => throw new ProxyConfigException($"{where}.crv: unsupported curve \"{curveName}\" (expected P-256, P-384 or P-521)"),
        };
        try
        {
            return ECDsa.Create(new ECParameters { Curve = curve, Q = new ECPoint { X = Bytes(key, "x", where), Y = Bytes(key, "y", where) } });
        }
        catch (CryptographicException e)
        {
            throw new ProxyConfigException($"{where}: invalid EC key: {e.Message}");
        }
    }

    private static string Text(JsonElement key, string name) =>
        key.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : string.Empty;

    private static byte[] Bytes(JsonElement key, string name, string where)
    {
        var text = Text(key, name);
        if (text.Length == 0 || !Base64Url.TryDecode(text, out var bytes))
        {
            throw new ProxyConfigException($"{where}.{name}: missing or not base64url");
        }

        return bytes;
    }
}
