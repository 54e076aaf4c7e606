using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Citadel;

/// <summary>
/// Citadel's signing identity: the certificate and key that sign workload certificates, the chain
/// from it up to the root, and the root bundle peers must trust. Either self-signed (the signing
/// certificate is the root) or plugged in from Istio's layout (an intermediate under an operator's root).
/// </summary>
public sealed class CertificateAuthority : IDisposable
{
    internal CertificateAuthority(X509Certificate2 signing, AsymmetricAlgorithm key, IReadOnlyList<X509Certificate2> chain, IReadOnlyList<X509Certificate2> roots, bool pluggedIn)
    {
        SigningCertificate = signing;
        Key = key;
        Chain = chain;
        Roots = roots;
        PluggedIn = pluggedIn;
    }

    /// <summary>The certificate that signs workload certificates (<c>ca-cert.pem</c>).</summary>
    public X509Certificate2 SigningCertificate { get; }

    internal AsymmetricAlgorithm Key { get; }

    /// <summary>Certificates above the signing one, up to and including the root (<c>cert-chain.pem</c>); empty for a self-signed root.</summary>
    public IReadOnlyList<X509Certificate2> Chain { get; }

    /// <summary>The trust bundle (<c>root-cert.pem</c>).</summary>
    public IReadOnlyList<X509Certificate2> Roots { get; }

    /// <summary>True when loaded from an operator's plug-in files rather than created here.</summary>
    public bool PluggedIn { get; }

    /// <summary>The trust bundle as PEM, as the ROOTCA secret carries it.</summary>
    public string RootsPem => string.Concat(Roots.Select(r => r.ExportCertificatePem() + "\n"));

    /// <summary>
    /// Signs a certificate for <paramref name="publicKey"/> with the given SANs. The chain returned is
    /// leaf first: leaf, signing certificate, then the rest of the chain (Istio's CreateCertificate order).
    /// </summary>
    public IReadOnlyList<X509Certificate2> Issue(CertificateRequest request, TimeSpan ttl, DateTimeOffset now)
    {
        var notBefore = now.AddMinutes(-1);
        var notAfter = now + ttl;
        if (notAfter > SigningCertificate.NotAfter)
        {
            // A leaf must not outlive its issuer.
            notAfter = SigningCertificate.NotAfter;
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        var generator = Key switch
        {
            ECDsa ecdsa => X509SignatureGenerator.CreateForECDsa(ecdsa),
            RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
            _ => throw new InvalidOperationException("unsupported CA key type"),
        };
        var leaf = request.Create(SigningCertificate.SubjectName, generator, notBefore, notAfter, serial);
        return [leaf, SigningCertificate, .. Chain.Where(c => c.Thumbprint != SigningCertificate.Thumbprint)];
    }

    public void Dispose()
    {
        Key.Dispose();
        SigningCertificate.Dispose();
    }
}
