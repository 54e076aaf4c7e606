using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Citadel.Authentication;

namespace Meshwork.Citadel.Signing;

/// <summary>Why a CSR was not signed; the kinds map onto gRPC's INVALID_ARGUMENT and PERMISSION_DENIED.</summary>
public enum SigningFailure
{
    None,
    InvalidRequest,
    NotYourIdentity,
}

public sealed record SigningOutcome(IReadOnlyList<X509Certificate2> Chain, SigningFailure Failure, string? Reason)
{
    public static SigningOutcome Refused(SigningFailure failure, string reason) => new([], failure, reason);
}

/// <summary>
/// Istio's CreateCertificate after authentication: the CSR must parse, its signature verify, and
/// its one SAN be the SPIFFE ID of the identity the caller proved. The certificate is built from the
/// CSR's public key only; nothing else the CSR asks for is copied, so a caller cannot ask for a CA bit
/// or extra names. The chain runs leaf first and ends with the root, as Istio's does.
/// </summary>
public static class CertificateSigner
{
    /// <summary>Istio's DEFAULT_WORKLOAD_CERT_TTL.</summary>
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromHours(24);

    /// <summary>Istio's MAX_WORKLOAD_CERT_TTL.</summary>
    public static readonly TimeSpan MaxTtl = TimeSpan.FromDays(90);

    /// <summary>The TTL for a requested <c>validity_duration</c> in seconds: 0 or less means the default; more than the cap is capped.</summary>
    public static TimeSpan TtlFor(long requestedSeconds) =>
        requestedSeconds <= 0 ? DefaultTtl
        : requestedSeconds >= (long)MaxTtl.TotalSeconds ? MaxTtl
        : TimeSpan.FromSeconds(requestedSeconds);

    public static SigningOutcome Sign(CertificateAuthority ca, string csrPem, WorkloadIdentity identity, string trustDomain, long requestedSeconds, DateTimeOffset now)
    {
        // Extensions are read only to check the SAN; none is copied into the certificate.
        CertificateRequest csr;
        try
        {
            csr = CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions, RSASignaturePadding.Pkcs1);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            return SigningOutcome.Refused(SigningFailure.InvalidRequest, $"csr: not a PEM certificate request with a valid signature: {e.Message}");
        }

        var expected = identity.SpiffeId(trustDomain);
        SubjectAltNames names;
        try
        {
            names = SubjectAltNames.Read(csr.CertificateExtensions.FirstOrDefault(e => e.Oid?.Value == "2.5.29.17")?.RawData);
        }
        catch (AsnContentException e)
        {
            return SigningOutcome.Refused(SigningFailure.InvalidRequest, $"csr: subjectAltName does not parse: {e.Message}");
        }

        if (names.Uris.Count == 0)
        {
            return SigningOutcome.Refused(SigningFailure.InvalidRequest, $"csr: no URI SAN; expected {expected}");
        }

        if (names.Uris.Count > 1 || names.OtherNames > 0)
        {
            return SigningOutcome.Refused(SigningFailure.InvalidRequest, $"csr: the only SAN must be the URI {expected}; it has {names.Uris.Count} URI(s) and {names.OtherNames} other name(s)");
        }

        if (names.Uris[0] != expected)
        {
            return SigningOutcome.Refused(SigningFailure.NotYourIdentity, $"csr: URI SAN {names.Uris[0]} is not the caller's identity {expected}");
        }

        var request = new CertificateRequest(new X500DistinguishedName(string.Empty), csr.PublicKey, HashAlgorithmName.SHA256, csr.PublicKey.GetRSAPublicKey() != null ? RSASignaturePadding.Pkcs1 : null);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(expected));
        request.CertificateExtensions.Add(san.Build(critical: true));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        if (ca.SigningCertificate.Extensions["2.5.29.14"] != null)
        {
            // Plug-in CAs (Istio's own samples among them) may have no subject key identifier to point at.
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca.SigningCertificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        }

        var chain = ca.Issue(request, TtlFor(requestedSeconds), now).ToList();
        if (!ca.Roots.Any(r => r.Thumbprint == chain[^1].Thumbprint))
        {
            chain.Add(ca.Roots[0]);
        }

        return new SigningOutcome(chain, SigningFailure.None, null);
    }
}
