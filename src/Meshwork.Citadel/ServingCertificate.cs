using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Citadel;

/// <summary>
/// meshd's own TLS identity for its secure port, issued by the mesh CA like any workload's (as
/// istiod's is), so a client that trusts the mesh root trusts meshd.
/// </summary>
public static class ServingCertificate
{
    public static (X509Certificate2 Certificate, X509Certificate2Collection Intermediates) Issue(
        CertificateAuthority ca, string trustDomain, IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses, TimeSpan ttl, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName(string.Empty), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
        {
            san.AddDnsName(name);
        }

        foreach (var address in addresses)
        {
            san.AddIpAddress(address);
        }

        san.AddUri(new Uri($"spiffe://{trustDomain}/ns/istio-system/sa/meshd"));
        request.CertificateExtensions.Add(san.Build(critical: true));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        var chain = ca.Issue(request, ttl, now);
        using var leaf = chain[0];
        var withKey = leaf.CopyWithPrivateKey(key);
        // Kestrel on Linux accepts an ephemeral key; export and re-import so the key outlives this scope.
        var certificate = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        withKey.Dispose();
        return (certificate, new X509Certificate2Collection(chain.Skip(1).ToArray()));
    }
}
