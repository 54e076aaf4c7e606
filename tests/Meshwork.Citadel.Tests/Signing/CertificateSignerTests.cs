using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Citadel.Authentication;
using Meshwork.Citadel.Signing;

namespace Meshwork.Citadel.Tests.Signing;

public sealed class CertificateSignerTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly WorkloadIdentity Catalog = new("shop", "catalog");
    private readonly string _dir = Directory.CreateTempSubdirectory("citadel-signer-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static string Csr(params string[] uris)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName(string.Empty), key, HashAlgorithmName.SHA256);
        if (uris.Length > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var uri in uris)
            {
                san.AddUri(new Uri(uri));
            }

            request.CertificateExtensions.Add(san.Build(critical: true));
        }

        return request.CreateSigningRequestPem();
    }

    [Fact]
    public void Sign_MatchingSan_IssuesALeafForThatIdentityOnly()
    {
        using var ca = CaStore.LoadOrCreate(_dir, "cluster.local", CaKeyType.EcdsaP256, Now);

        var outcome = CertificateSigner.Sign(ca, Csr("spiffe://cluster.local/ns/shop/sa/catalog"), Catalog, "cluster.local", 0, Now);

        Assert.Equal(SigningFailure.None, outcome.Failure);
        Assert.Equal(2, outcome.Chain.Count);
        Assert.Equal(ca.Roots[0].Thumbprint, outcome.Chain[^1].Thumbprint);
        var leaf = outcome.Chain[0];
        Assert.Equal(["spiffe://cluster.local/ns/shop/sa/catalog"], SubjectAltNames.Read(leaf.Extensions["2.5.29.17"]!.RawData).Uris);
        Assert.False(((X509BasicConstraintsExtension)leaf.Extensions["2.5.29.19"]!).CertificateAuthority);
        Assert.Equal(Now.AddHours(24).UtcDateTime, leaf.NotAfter.ToUniversalTime());
    }

    [Theory]
    [InlineData(0, 24 * 3600)]
    [InlineData(-5, 24 * 3600)]
    [InlineData(3600, 3600)]
    [InlineData(365L * 24 * 3600, 90 * 24 * 3600)]
    public void TtlFor_DefaultsAndCaps(long requested, long expected)
    {
        Assert.Equal(TimeSpan.FromSeconds(expected), CertificateSigner.TtlFor(requested));
    }

    [Fact]
    public void Sign_SanOfAnotherServiceAccount_IsPermissionDenied()
    {
        using var ca = CaStore.LoadOrCreate(_dir, "cluster.local", CaKeyType.EcdsaP256, Now);

        var outcome = CertificateSigner.Sign(ca, Csr("spiffe://cluster.local/ns/shop/sa/payments"), Catalog, "cluster.local", 0, Now);

        Assert.Equal(SigningFailure.NotYourIdentity, outcome.Failure);
        Assert.Contains("is not the caller's identity spiffe://cluster.local/ns/shop/sa/catalog", outcome.Reason);
    }

    [Theory]
    [InlineData(new string[0], "no URI SAN")]
    [InlineData(new[] { "spiffe://cluster.local/ns/shop/sa/catalog", "spiffe://cluster.local/ns/shop/sa/payments" }, "the only SAN")]
    public void Sign_MissingOrExtraSans_IsInvalidArgument(string[] uris, string reason)
    {
        using var ca = CaStore.LoadOrCreate(_dir, "cluster.local", CaKeyType.EcdsaP256, Now);

        var outcome = CertificateSigner.Sign(ca, Csr(uris), Catalog, "cluster.local", 0, Now);

        Assert.Equal(SigningFailure.InvalidRequest, outcome.Failure);
        Assert.Contains(reason, outcome.Reason);
    }

    [Fact]
    public void Sign_TamperedCsr_IsInvalidArgument()
    {
        using var ca = CaStore.LoadOrCreate(_dir, "cluster.local", CaKeyType.EcdsaP256, Now);
        var der = Convert.FromBase64String(string.Concat(Csr("spiffe://cluster.local/ns/shop/sa/catalog").Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal))));
        der[^1] ^= 0x01;
        var tampered = PemEncoding.WriteString("CERTIFICATE REQUEST", der);

        var outcome = CertificateSigner.Sign(ca, tampered, Catalog, "cluster.local", 0, Now);

        Assert.Equal(SigningFailure.InvalidRequest, outcome.Failure);
        Assert.StartsWith("csr:", outcome.Reason);
    }

    [Fact]
    public void Sign_NotPem_IsInvalidArgument()
    {
        using var ca = CaStore.LoadOrCreate(_dir, "cluster.local", CaKeyType.EcdsaP256, Now);

        var outcome = CertificateSigner.Sign(ca, "hello", Catalog, "cluster.local", 0, Now);

        Assert.Equal(SigningFailure.InvalidRequest, outcome.Failure);
    }

    [Fact]
    public void Authenticate_IssuedLeaf_YieldsItsIdentity_ButNotAfterExpiry()
    {
        using var ca = CaStore.LoadOrCreate(_dir, "cluster.local", CaKeyType.EcdsaP256, Now);
        var leaf = CertificateSigner.Sign(ca, Csr("spiffe://cluster.local/ns/shop/sa/catalog"), Catalog, "cluster.local", 3600, Now).Chain[0];

        var (identity, _) = MeshCertificateAuthenticator.Authenticate(ca, leaf, "cluster.local", Now.AddMinutes(30));
        var (expired, reason) = MeshCertificateAuthenticator.Authenticate(ca, leaf, "cluster.local", Now.AddHours(2));
        var (caCert, caReason) = MeshCertificateAuthenticator.Authenticate(ca, ca.SigningCertificate, "cluster.local", Now);

        Assert.Equal(Catalog, identity);
        Assert.Null(expired);
        Assert.Contains("valid only", reason);
        Assert.Null(caCert);
        Assert.NotNull(caReason);
    }

    [Fact]
    public void Sign_PlugInCaFromIstioSamples_ChainsLeafIntermediateRoot()
    {
        var certs = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "..", "shared", "istio-samples", "security", "certs"));
        using var ca = CaStore.Load(certs);

        var outcome = CertificateSigner.Sign(ca, Csr("spiffe://cluster.local/ns/shop/sa/catalog"), Catalog, "cluster.local", 3600, DateTimeOffset.UtcNow);

        Assert.Equal(SigningFailure.None, outcome.Failure);
        Assert.Equal(3, outcome.Chain.Count);
        Assert.Equal(ca.SigningCertificate.Thumbprint, outcome.Chain[1].Thumbprint);
        Assert.Equal(ca.Roots[0].Thumbprint, outcome.Chain[2].Thumbprint);
    }
}
