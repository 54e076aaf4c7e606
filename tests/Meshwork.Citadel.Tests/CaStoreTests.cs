using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Citadel.Tests;

public sealed class CaStoreTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("citadel-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Samples => Path.GetFullPath(Path.Combine(FindRoot(), "..", "shared", "istio-samples", "security", "certs"));

    private static CertificateRequest Workload(out ECDsa key)
    {
        key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName(string.Empty), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri("spiffe://cluster.local/ns/shop/sa/catalog"));
        request.CertificateExtensions.Add(san.Build(critical: true));
        return request;
    }

    private static bool Verifies(IReadOnlyList<X509Certificate2> chain, IEnumerable<X509Certificate2> roots, DateTimeOffset at)
    {
        using var verifier = new X509Chain();
        verifier.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        verifier.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        verifier.ChainPolicy.VerificationTime = at.UtcDateTime;
        verifier.ChainPolicy.CustomTrustStore.AddRange(roots.ToArray());
        verifier.ChainPolicy.ExtraStore.AddRange(chain.Skip(1).ToArray());
        return verifier.Build(chain[0]);
    }

    [Theory]
    [InlineData(CaKeyType.EcdsaP256)]
    [InlineData(CaKeyType.Rsa2048)]
    public void LoadOrCreate_EmptyDirectory_WritesASelfSignedRootInIstiosLayout(CaKeyType keyType)
    {
        using var ca = CaStore.LoadOrCreate(_dir, "cluster.local", keyType, Now);

        Assert.False(ca.PluggedIn);
        Assert.Equal(ca.SigningCertificate.Thumbprint, Assert.Single(ca.Roots).Thumbprint);
        Assert.True(ca.SigningCertificate.NotAfter > Now.AddYears(9).UtcDateTime);
        Assert.True(File.Exists(Path.Combine(_dir, "ca-cert.pem")));
        Assert.True(File.Exists(Path.Combine(_dir, "root-cert.pem")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, "ca-key.pem")));
    }

    [Fact]
    public void LoadOrCreate_Twice_KeepsTheSameRoot()
    {
        string first;
        using (var ca = CaStore.LoadOrCreate(_dir, "cluster.local", CaKeyType.EcdsaP256, Now))
        {
            first = ca.SigningCertificate.Thumbprint;
        }

        using var again = CaStore.LoadOrCreate(_dir, "cluster.local", CaKeyType.EcdsaP256, Now);
        Assert.Equal(first, again.SigningCertificate.Thumbprint);
    }

    [Fact]
    public void Issue_ReturnsLeafFirstAndVerifiesAgainstTheRoot()
    {
        using var ca = CaStore.LoadOrCreate(_dir, "cluster.local", CaKeyType.EcdsaP256, Now);

        var chain = ca.Issue(Workload(out var key), TimeSpan.FromHours(24), Now);

        Assert.Equal(2, chain.Count);
        Assert.Equal(ca.SigningCertificate.Thumbprint, chain[1].Thumbprint);
        Assert.Contains("spiffe://cluster.local/ns/shop/sa/catalog", chain[0].Extensions["2.5.29.17"]!.Format(false));
        Assert.Equal(Now.AddHours(24).UtcDateTime, chain[0].NotAfter.ToUniversalTime());
        Assert.True(Verifies(chain, ca.Roots, Now.AddHours(1)));
        key.Dispose();
    }

    [Fact]
    public void Load_IstioPluginCa_SignsUnderTheOperatorsRoot()
    {
        foreach (var file in new[] { "ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem" })
        {
            File.Copy(Path.Combine(Samples, file), Path.Combine(_dir, file));
        }

        using var ca = CaStore.LoadOrCreate(_dir, "cluster.local", CaKeyType.EcdsaP256, Now);
        var chain = ca.Issue(Workload(out var key), TimeSpan.FromHours(24), Now);

        Assert.True(ca.PluggedIn);
        Assert.Contains("CN=Istio CA", ca.SigningCertificate.Subject);
        Assert.Equal(ca.SigningCertificate.Thumbprint, chain[1].Thumbprint);
        Assert.True(Verifies(chain, ca.Roots, Now.AddHours(1)));
        key.Dispose();
    }

    [Fact]
    public void Load_KeyOfAnotherCertificate_IsRefusedNamingTheFile()
    {
        File.Copy(Path.Combine(Samples, "ca-cert.pem"), Path.Combine(_dir, "ca-cert.pem"));
        File.Copy(Path.Combine(Samples, "root-cert.pem"), Path.Combine(_dir, "root-cert.pem"));
        File.Copy(Path.Combine(Samples, "workload-foo-key.pem"), Path.Combine(_dir, "ca-key.pem"));

        var error = Assert.Throws<CaLoadException>(() => CaStore.Load(_dir));

        Assert.StartsWith(Path.Combine(_dir, "ca-key.pem") + ":", error.Message);
    }

    [Fact]
    public void Load_MissingRoot_SaysWhichFile()
    {
        using (CaStore.LoadOrCreate(_dir, "cluster.local", CaKeyType.EcdsaP256, Now))
        {
        }

        File.Delete(Path.Combine(_dir, "root-cert.pem"));

        var error = Assert.Throws<CaLoadException>(() => CaStore.Load(_dir));
        Assert.Contains("root-cert.pem: missing", error.Message);
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Meshwork.sln")))
        {
            dir = dir.Parent;
        }

        return dir!.FullName;
    }
}
