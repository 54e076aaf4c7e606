using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Meshwork.Proxy.Security;

namespace Meshwork.Proxy.Tests.Security;

/// <summary>
/// An in-process mesh CA standing in for meshd's CreateCertificate: signs CSRs on the test's clock
/// (backdated a minute, as meshd does), records what it was asked, and can be made unreachable.
/// </summary>
internal sealed class TestMeshCa : ICertificateSigner, IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly TimeProvider _time;

    public TestMeshCa(TimeProvider time, string directory, string name = "mesh root")
    {
        _time = time;
        var request = new CertificateRequest($"CN={name}, O=cluster.local", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Root = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddYears(-1), DateTimeOffset.UtcNow.AddYears(10));
        RootFile = Path.Combine(directory, $"root-{Guid.NewGuid():N}.pem");
        File.WriteAllText(RootFile, Root.ExportCertificatePem());
    }

    public X509Certificate2 Root { get; }

    public string RootFile { get; }

    public bool Unreachable { get; set; }

    public List<string> Csrs { get; } = [];

    public List<X509Certificate2?> Presented { get; } = [];

    public Task<IReadOnlyList<X509Certificate2>> SignAsync(string csrPem, TimeSpan ttl, X509Certificate2? current, CancellationToken cancellationToken)
    {
        Csrs.Add(csrPem);
        Presented.Add(current);
        if (Unreachable)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "connection refused"));
        }

        var csr = CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        return Task.FromResult<IReadOnlyList<X509Certificate2>>([Issue(csr, ttl), Root]);
    }

    /// <summary>A leaf for <paramref name="csr"/>'s key and SANs, valid from a minute ago for <paramref name="ttl"/>.</summary>
    public X509Certificate2 Issue(CertificateRequest csr, TimeSpan ttl)
    {
        var now = _time.GetUtcNow();
        var leaf = new CertificateRequest(new X500DistinguishedName(string.Empty), csr.PublicKey, HashAlgorithmName.SHA256);
        foreach (var extension in csr.CertificateExtensions)
        {
            leaf.CertificateExtensions.Add(extension);
        }

        leaf.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        leaf.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        return leaf.Create(Root.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), now.AddMinutes(-1), now + ttl, serial);
    }

    /// <summary>A leaf with its key for <paramref name="spiffeId"/>, as another workload of this mesh would hold.</summary>
    public X509Certificate2 IssueWithKey(string spiffeId, TimeSpan ttl)
    {
        using var csr = WorkloadCsr.Create(WorkloadKeyType.EcdsaP256, spiffeId);
        var request = CertificateRequest.LoadSigningRequestPem(csr.Pem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        using var leaf = Issue(request, ttl);
        var withKey = csr.Attach(leaf);

        // An exportable copy, so the key outlives the CSR object.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    public void Dispose() => _key.Dispose();
}
