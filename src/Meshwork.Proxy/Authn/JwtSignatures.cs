using System.Security.Cryptography;

namespace Meshwork.Proxy.Authn;

/// <summary>
/// The JWS algorithms a provider accepts (RS*, PS*, ES*; Istio's tasks use RS256 and ES256) and the
/// check of one signature with one key. HMAC and "none" are refused outright: a JWKS of public keys
/// cannot vouch for them.
/// </summary>
internal static class JwtSignatures
{
    public static bool IsSupported(string alg) => alg is "RS256" or "RS384" or "RS512" or "PS256" or "PS384" or "PS512" or "ES256" or "ES384" or "ES512";

    /// <summary>True when <paramref name="key"/> is of the type and curve <paramref name="alg"/> needs, and its own alg (if any) agrees.</summary>
    public static bool Fits(JsonWebKey key, string alg)
    {
        if (key.Alg.Length > 0 && key.Alg != alg)
        {
            return false;
        }

        return alg[0] == 'E'
            ? key.Ecdsa != null && key.Curve == (alg switch { "ES256" => "P-256", "ES384" => "P-384", _ => "P-521" })
            : key.Rsa != null;
    }

    public static bool Verify(JsonWebKey key, string alg, byte[] signingInput, byte[] signature)
    {
        var hash = alg[2..] switch
        {
            "256" => HashAlgorithmName.SHA256,
            "384" => HashAlgorithmName.SHA384,
            _ => HashAlgorithmName.SHA512,
        };
        try
        {
            return alg[0] switch
            {
                'R' => key.Rsa!.VerifyData(signingInput, signature, hash, RSASignaturePadding.Pkcs1),
                'P' => key.Rsa!.VerifyData(signingInput, signature, hash, RSASignaturePadding.Pss),
                // JWS carries r||s (IEEE P1363), which is ECDsa's default signature format.
                _ => key.Ecdsa!.VerifyData(signingInput, signature, hash),
            };
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
