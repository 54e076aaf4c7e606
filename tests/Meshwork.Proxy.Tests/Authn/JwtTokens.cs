using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Meshwork.Proxy.Tests.Authn;

/// <summary>
/// Istio's JWT task material read from ../shared/istio-samples/security/jwt (its JWKS, demo token and
/// the private key behind them), and tokens minted with that key for the cases the samples lack.
/// </summary>
internal static class JwtTokens
{
    public const string Issuer = "testing@secure.istio.io";
    public const string Kid = "DHFbpoIUqrY8t2zpA2qXfCmr5VO5ZEr4RzHU_-envvQ";

    private static readonly string Dir = Path.Combine(FindShared(), "istio-samples", "security", "jwt");

    public static string Jwks => File.ReadAllText(Path.Combine(Dir, "jwks.json"));

    public static string Demo => File.ReadAllText(Path.Combine(Dir, "demo.jwt")).Trim();

    public static string GroupsScope => File.ReadAllText(Path.Combine(Dir, "groups-scope.jwt")).Trim();

    public static RSA PrivateKey()
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(Path.Combine(Dir, "key.pem")));
        return rsa;
    }

    /// <summary>A token signed with the sample key (RS256, the sample kid) carrying <paramref name="claims"/>.</summary>
    public static string Mint(object claims, string alg = "RS256", string kid = Kid)
    {
        using var rsa = PrivateKey();
        return Sign(claims, alg, kid, input => rsa.SignData(input, HashAlgorithmName.SHA256, alg.StartsWith("PS", StringComparison.Ordinal) ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1));
    }

    public static string Sign(object claims, string alg, string kid, Func<byte[], byte[]> sign)
    {
        var header = Encode(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = alg, ["kid"] = kid, ["typ"] = "JWT" }));
        var payload = Encode(JsonSerializer.SerializeToUtf8Bytes(claims));
        var input = Encoding.ASCII.GetBytes($"{header}.{payload}");
        return $"{header}.{payload}.{Encode(sign(input))}";
    }

    /// <summary>An unsigned token ("alg": "none"), the classic forgery.</summary>
    public static string Unsigned(object claims)
    {
        var header = Encode(Encoding.UTF8.GetBytes("{\"alg\":\"none\",\"typ\":\"JWT\"}"));
        return $"{header}.{Encode(JsonSerializer.SerializeToUtf8Bytes(claims))}.";
    }

    public static string Encode(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    public static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private static string FindShared()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "istio-samples");
            if (Directory.Exists(candidate))
            {
                return Path.Combine(dir.FullName, "shared");
            }
        }

        throw new DirectoryNotFoundException("../shared/istio-samples not found above " + AppContext.BaseDirectory);
    }
}
