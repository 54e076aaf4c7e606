using System.Text;
using Meshwork.Citadel.Authentication;

namespace Meshwork.Citadel.Tests.Authentication;

public sealed class BootstrapTokenTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly WorkloadIdentity Catalog = new("shop", "catalog");
    private readonly string _dir = Directory.CreateTempSubdirectory("citadel-token-").FullName;
    private readonly string _otherDir = Directory.CreateTempSubdirectory("citadel-token-other-").FullName;

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        Directory.Delete(_otherDir, recursive: true);
    }

    [Theory]
    [InlineData(CaKeyType.EcdsaP256, "ES256")]
    [InlineData(CaKeyType.Rsa2048, "RS256")]
    public async Task Create_ThenVerify_YieldsTheServiceAccount(CaKeyType keyType, string alg)
    {
        using var ca = CaStore.LoadOrCreate(_dir, "cluster.local", keyType, Now);

        var token = BootstrapToken.Create(ca, Catalog, "cluster.local", TimeSpan.FromHours(1), Now);
        var (identity, reason) = await BootstrapToken.VerifyAsync(ca, token, "cluster.local", Now.AddMinutes(59));

        Assert.Null(reason);
        Assert.Equal(Catalog, identity);
        var header = Encoding.UTF8.GetString(Base64Url(token.Split('.')[0]));
        var payload = Encoding.UTF8.GetString(Base64Url(token.Split('.')[1]));
        Assert.Contains($"\"alg\":\"{alg}\"", header);
        Assert.Contains("\"sub\":\"system:serviceaccount:shop:catalog\"", payload);
        Assert.Contains("\"aud\":\"istio-ca\"", payload);
        Assert.Contains("\"iss\":\"spiffe://cluster.local\"", payload);
        Assert.Contains($"\"exp\":{Now.AddHours(1).ToUnixTimeSeconds()}", payload);
    }

    [Fact]
    public async Task Verify_Expired_IsRefusedWithTheTime()
    {
        using var ca = CaStore.LoadOrCreate(_dir, "cluster.local", CaKeyType.EcdsaP256, Now);
        var token = BootstrapToken.Create(ca, Catalog, "cluster.local", TimeSpan.FromHours(1), Now);

        var (withinSkew, _) = await BootstrapToken.VerifyAsync(ca, token, "cluster.local", Now.AddHours(1).AddSeconds(20));
        var (identity, reason) = await BootstrapToken.VerifyAsync(ca, token, "cluster.local", Now.AddHours(1).AddMinutes(1));

        Assert.NotNull(withinSkew);
        Assert.Null(identity);
        Assert.Contains("expired", reason);
    }

    [Fact]
    public async Task Verify_NotYetValid_IsRefused()
    {
        using var ca = CaStore.LoadOrCreate(_dir, "cluster.local", CaKeyType.EcdsaP256, Now);
        var token = BootstrapToken.Create(ca, Catalog, "cluster.local", TimeSpan.FromHours(1), Now);

        var (identity, reason) = await BootstrapToken.VerifyAsync(ca, token, "cluster.local", Now.AddMinutes(-5));

        Assert.Null(identity);
        Assert.Contains("not valid before", reason);
    }

    [Fact]
    public async Task Verify_SignedByAnotherCa_IsRefused()
    {
        using var ca = CaStore.LoadOrCreate(_dir, "cluster.local", CaKeyType.EcdsaP256, Now);
        using var other = CaStore.LoadOrCreate(_otherDir, "cluster.local", CaKeyType.EcdsaP256, Now);
        var token = BootstrapToken.Create(other, Catalog, "cluster.local", TimeSpan.FromHours(1), Now);

        var (identity, reason) = await BootstrapToken.VerifyAsync(ca, token, "cluster.local", Now);

        Assert.Null(identity);
        Assert.Contains("signature", reason);
    }

    [Fact]
    public async Task Verify_OtherTrustDomain_IsRefused()
    {
        using var ca = CaStore.LoadOrCreate(_dir, "cluster.local", CaKeyType.EcdsaP256, Now);
        var token = BootstrapToken.Create(ca, Catalog, "example.org", TimeSpan.FromHours(1), Now);

        var (identity, reason) = await BootstrapToken.VerifyAsync(ca, token, "cluster.local", Now);

        Assert.Null(identity);
        Assert.Contains("issuer", reason);
    }

    [Fact]
    public async Task Verify_AlgNone_IsRefused()
    {
        using var ca = CaStore.LoadOrCreate(_dir, "cluster.local", CaKeyType.EcdsaP256, Now);
        var payload = BootstrapToken.Create(ca, Catalog, "cluster.local", TimeSpan.FromHours(1), Now).Split('.')[1];
        var unsigned = Base64UrlEncode("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + payload + ".";

        var (identity, reason) = await BootstrapToken.VerifyAsync(ca, unsigned, "cluster.local", Now);

        Assert.Null(identity);
        Assert.NotNull(reason);
    }

    [Fact]
    public async Task Verify_Garbage_IsRefusedAsNotAJwt()
    {
        using var ca = CaStore.LoadOrCreate(_dir, "cluster.local", CaKeyType.EcdsaP256, Now);

        var (identity, reason) = await BootstrapToken.VerifyAsync(ca, "not-a-token", "cluster.local", Now);

        Assert.Null(identity);
        Assert.Contains("not a JWT", reason);
    }

    private static byte[] Base64Url(string text) => Convert.FromBase64String(text.Replace('-', '+').Replace('_', '/').PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '='));

    private static string Base64UrlEncode(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
