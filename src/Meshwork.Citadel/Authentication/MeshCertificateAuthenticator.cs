using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Citadel.Authentication;

/// <summary>
/// Renewal: a caller proves its identity with the mesh certificate it already holds. The certificate
/// must be a time-valid leaf chaining to the mesh root, with a SPIFFE URI SAN in this trust domain.
/// </summary>
public static class MeshCertificateAuthenticator
{
    public static (WorkloadIdentity? Identity, string? Reason) Authenticate(CertificateAuthority ca, X509Certificate2 certificate, string trustDomain, DateTimeOffset now)
    {
        // NotBefore/NotAfter are local times; DateTime comparison ignores Kind, so compare in UTC.
        var (notBefore, notAfter) = (certificate.NotBefore.ToUniversalTime(), certificate.NotAfter.ToUniversalTime());
        if (notAfter < now.UtcDateTime || notBefore > now.UtcDateTime)
        {
            return (null, $"client certificate refused: valid only from {notBefore:O} to {notAfter:O}");
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.CustomTrustStore.AddRange(ca.Roots.ToArray());
        chain.ChainPolicy.ExtraStore.Add(ca.SigningCertificate);
        chain.ChainPolicy.ExtraStore.AddRange(ca.Chain.ToArray());
        if (!chain.Build(certificate))
        {
            var status = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
            return (null, $"client certificate refused: does not chain to the mesh root ({status})");
        }

        if (certificate.Extensions["2.5.29.19"] is X509BasicConstraintsExtension { CertificateAuthority: true })
        {
            return (null, "client certificate refused: it is a CA certificate");
        }

        var uris = SubjectAltNames.Read(certificate.Extensions["2.5.29.17"]?.RawData).Uris;
        foreach (var uri in uris)
        {
            if (WorkloadIdentity.FromSpiffeId(uri, trustDomain) is { } identity)
            {
                return (identity, null);
            }
        }

        return (null, $"client certificate refused: no spiffe://{trustDomain}/ns/NS/sa/SA URI SAN");
    }
}
