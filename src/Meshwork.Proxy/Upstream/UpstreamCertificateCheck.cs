using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using SanType = Envoy.Extensions.TransportSockets.Tls.V3.SubjectAltNameMatcher.Types.SanType;

namespace Meshwork.Proxy.Upstream;

/// <summary>
/// Envoy's upstream certificate verification: the chain must lead to the cluster's trusted CA
/// (not the system store), then a SAN must match one of the configured matchers, and with
/// auto_san_validation a DNS SAN must match the request's host. Like Envoy, and unlike a browser,
/// nothing checks the host name unless the config asks for it; without a trusted CA nothing is
/// verified at all.
/// </summary>
internal static class UpstreamCertificateCheck
{
    private const string SubjectAltNameOid = "2.5.29.17";

    public static bool Accepts(TlsOrigination tls, X509Certificate2Collection? trustedCas, X509Certificate? presented, string requestHost)
    {
        if (!tls.VerifyChain)
        {
            return true;
        }

        if (presented == null || trustedCas == null)
        {
            return false;
        }

        var certificate = presented as X509Certificate2 ?? new X509Certificate2(presented);
        using (var chain = new X509Chain())
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(trustedCas);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (!chain.Build(certificate))
            {
                return false;
            }
        }

        var names = SubjectAltNames(certificate);
        if (tls.SubjectAltNames.Count > 0 && !names.Any(n => tls.SubjectAltNames.Any(m => (m.Type == SanType.Unspecified || m.Type == n.Type) && m.Matches(n.Value))))
        {
            return false;
        }

        return !tls.AutoSanValidation || names.Any(n => (n.Type == SanType.Dns && DnsNameMatches(n.Value, requestHost)) || (n.Type == SanType.IpAddress && n.Value == requestHost));
    }

    /// <summary>The certificate's DNS, URI, email and IP SANs.</summary>
    public static List<(SanType Type, string Value)> SubjectAltNames(X509Certificate2 certificate)
    {
        var names = new List<(SanType, string)>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SubjectAltNameOid)
            {
                continue;
            }

            var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            while (reader.HasData)
            {
                var tag = reader.PeekTag();
                if (tag.TagClass != TagClass.ContextSpecific)
                {
                    reader.ReadEncodedValue();
                    continue;
                }

                switch (tag.TagValue)
                {
                    case 1:
                        names.Add((SanType.Email, reader.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, 1))));
                        break;
                    case 2:
                        names.Add((SanType.Dns, reader.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, 2))));
                        break;
                    case 6:
                        names.Add((SanType.Uri, reader.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, 6))));
                        break;
                    case 7:
                        names.Add((SanType.IpAddress, new IPAddress(reader.ReadOctetString(new Asn1Tag(TagClass.ContextSpecific, 7))).ToString()));
                        break;
                    default:
                        reader.ReadEncodedValue();
                        break;
                }
            }
        }

        return names;
    }

    /// <summary>Exact, case-insensitive, or a leading <c>*.</c> wildcard covering one label.</summary>
    private static bool DnsNameMatches(string pattern, string host)
    {
        if (string.Equals(pattern, host, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!pattern.StartsWith("*.", StringComparison.Ordinal))
        {
            return false;
        }

        var dot = host.IndexOf('.');
        return dot > 0 && string.Equals(pattern[1..], host[dot..], StringComparison.OrdinalIgnoreCase);
    }
}
