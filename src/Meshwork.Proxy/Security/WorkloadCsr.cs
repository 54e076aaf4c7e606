using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Proxy.Security;

/// <summary>A fresh workload key and its PKCS#10 request whose only SAN is the workload's SPIFFE URI.</summary>
public sealed class WorkloadCsr : IDisposable
{
    private WorkloadCsr(AsymmetricAlgorithm key, string pem)
    {
        Key = key;
        Pem = pem;
    }

    public AsymmetricAlgorithm Key { get; }

    public string Pem { get; }

    public static string SpiffeId(string trustDomain, string ns, string serviceAccount) => $"spiffe://{trustDomain}/ns/{ns}/sa/{serviceAccount}";

    public static WorkloadCsr Create(WorkloadKeyType type, string spiffeId)
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(spiffeId));

        // Istio's CSRs carry no subject: the identity lives only in the URI SAN.
        var subject = new X500DistinguishedName(string.Empty);
        CertificateRequest request;
        AsymmetricAlgorithm key;
        if (type == WorkloadKeyType.Rsa2048)
        {
            var rsa = RSA.Create(2048);
            key = rsa;
            request = new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        else
        {
            var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            key = ecdsa;
            request = new CertificateRequest(subject, ecdsa, HashAlgorithmName.SHA256);
        }

        request.CertificateExtensions.Add(san.Build(critical: true));
        return new WorkloadCsr(key, request.CreateSigningRequestPem());
    }

    /// <summary>The issued leaf joined with this key, usable by SslStream.</summary>
    public X509Certificate2 Attach(X509Certificate2 leaf) => Key switch
    {
        ECDsa ecdsa => leaf.CopyWithPrivateKey(ecdsa),
        RSA rsa => leaf.CopyWithPrivateKey(rsa),
        _ => throw new InvalidOperationException("unknown key type"),
    };

    public void Dispose() => Key.Dispose();
}
