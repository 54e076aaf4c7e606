using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SanType = Envoy.Extensions.TransportSockets.Tls.V3.SubjectAltNameMatcher.Types.SanType;

namespace Meshwork.Proxy.Connections;

/// <summary>
/// The client certificate of a downstream TLS connection, after the handshake verified it: its
/// identity (the SPIFFE URI SAN, what Istio calls <c>source.principal</c>), and what Envoy's XFCC
/// element reports about it (hash, subject, SANs) and about our own certificate (<c>By</c>). Read
/// once per connection and immutable, so every request on the connection only reads it.
/// </summary>
public sealed class DownstreamPeer
{
    private const string SpiffePrefix = "spiffe://";

    private readonly X509Certificate2 _certificate;

    /// <summary>The XFCC element last built for this connection, with the HCM it was built for (one per connection in practice).</summary>
    private XfccMemo? _xfcc;

    public DownstreamPeer(X509Certificate2 peer, X509Certificate2? local)
    {
        _certificate = peer;
        var sans = ClientCertificateCheck.SubjectAltNames(peer).ToList();
        UriSans = sans.Where(s => s.Type == SanType.Uri).Select(s => s.Value).ToArray();
        DnsSans = sans.Where(s => s.Type == SanType.Dns).Select(s => s.Value).ToArray();
        LocalUriSans = local == null ? [] : ClientCertificateCheck.SubjectAltNames(local).Where(s => s.Type == SanType.Uri).Select(s => s.Value).ToArray();
        Subject = Rfc2253(peer.SubjectName);
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(peer.RawData));
        Uri = UriSans.FirstOrDefault(u => u.StartsWith(SpiffePrefix, StringComparison.Ordinal)) ?? (UriSans.Count > 0 ? UriSans[0] : null);
        Principal = Uri is { } uri && uri.StartsWith(SpiffePrefix, StringComparison.Ordinal) ? uri[SpiffePrefix.Length..] : Uri;
    }

    /// <summary>The peer's identity as a URI (<c>spiffe://TD/ns/NS/sa/SA</c>), or null when its certificate names none.</summary>
    public string? Uri { get; }

    /// <summary>The identity as Istio's policies and metrics name it: the SPIFFE URI without its scheme (<c>TD/ns/NS/sa/SA</c>).</summary>
    public string? Principal { get; }

    public IReadOnlyList<string> UriSans { get; }

    public IReadOnlyList<string> DnsSans { get; }

    /// <summary>The URI SANs of the certificate this proxy presented (XFCC's <c>By</c>).</summary>
    public IReadOnlyList<string> LocalUriSans { get; }

    /// <summary>The subject in RFC 2253 form, as Envoy prints it (most significant last, <c>,</c> between RDNs).</summary>
    public string Subject { get; }

    /// <summary>SHA-256 of the certificate's DER, lowercase hex (Envoy's sha256PeerCertificateDigest).</summary>
    public string Sha256 { get; }

    /// <summary>The certificate as PEM, URL-encoded as Envoy does for XFCC's <c>Cert</c>.</summary>
    public string UrlEncodedPem => EncodePem(_certificate.ExportCertificatePem() + "\n");

    /// <summary>The XFCC element <paramref name="owner"/> builds for this peer, built on the connection's first request only.</summary>
    internal string XfccElement(object owner, Func<DownstreamPeer, string> build)
    {
        if (_xfcc is { } memo && ReferenceEquals(memo.Owner, owner))
        {
            return memo.Element;
        }

        var element = build(this);
        _xfcc = new XfccMemo(owner, element);
        return element;
    }

    /// <summary>The peer's identity when the connection is a verified mTLS one; null otherwise.</summary>
    public static DownstreamPeer? From(X509Certificate? remote, X509Certificate? local) =>
        remote is X509Certificate2 peer ? new DownstreamPeer(peer, local as X509Certificate2) : null;

    /// <summary>Envoy's urlEncodedPemEncodedPeerCertificate: the PEM with newlines, spaces and the base64 symbols percent-encoded.</summary>
    private static string EncodePem(string pem)
    {
        var sb = new StringBuilder(pem.Length + 64);
        foreach (var c in pem)
        {
            sb.Append(c switch
            {
                '\n' => "%0A",
                ' ' => "%20",
                '+' => "%2B",
                '/' => "%2F",
                '=' => "%3D",
                _ => c.ToString(),
            });
        }

        return sb.ToString();
    }

    private static readonly Dictionary<string, string> ShortNames = new(StringComparer.Ordinal)
    {
        ["2.5.4.3"] = "CN", ["2.5.4.4"] = "SN", ["2.5.4.5"] = "serialNumber", ["2.5.4.6"] = "C", ["2.5.4.7"] = "L",
        ["2.5.4.8"] = "ST", ["2.5.4.9"] = "street", ["2.5.4.10"] = "O", ["2.5.4.11"] = "OU", ["2.5.4.12"] = "title",
        ["2.5.4.42"] = "GN", ["0.9.2342.19200300.100.1.1"] = "UID", ["0.9.2342.19200300.100.1.25"] = "DC",
        ["1.2.840.113549.1.9.1"] = "emailAddress",
    };

    /// <summary>
    /// OpenSSL's XN_FLAG_RFC2253 printing (what Envoy uses): RDNs in reverse order joined by <c>,</c>,
    /// multi-valued ones by <c>+</c>, short attribute names, RFC 2253 escapes, non-ASCII and control
    /// bytes as <c>\XX</c>, and attributes OpenSSL has no name for as <c>OID=#DER-hex</c>.
    /// </summary>
    internal static string Rfc2253(X500DistinguishedName name)
    {
        var rdns = new List<string>();
        try
        {
            var sequence = new AsnReader(name.RawData, AsnEncodingRules.DER).ReadSequence();
            while (sequence.HasData)
            {
                var set = sequence.ReadSetOf();
                var parts = new List<string>();
                while (set.HasData)
                {
                    var attribute = set.ReadSequence();
                    var oid = attribute.ReadObjectIdentifier();
                    var encoded = attribute.PeekEncodedValue();
                    var tag = attribute.PeekTag();
                    if (ShortNames.TryGetValue(oid, out var shortName) && TryReadString(attribute, tag, out var value))
                    {
                        parts.Add($"{shortName}={Escape(value)}");
                    }
                    else
                    {
                        parts.Add($"{oid}=#{Convert.ToHexStringLower(encoded.Span)}");
                    }
                }

                rdns.Add(string.Join('+', parts));
            }
        }
        catch (AsnContentException)
        {
            return name.Name;
        }

        rdns.Reverse();
        return string.Join(',', rdns);
    }

    private static bool TryReadString(AsnReader reader, Asn1Tag tag, out string value)
    {
        value = string.Empty;
        if (tag.TagClass != TagClass.Universal)
        {
            return false;
        }

        var type = (UniversalTagNumber)tag.TagValue;
        if (type is not (UniversalTagNumber.UTF8String or UniversalTagNumber.PrintableString or UniversalTagNumber.IA5String
            or UniversalTagNumber.T61String or UniversalTagNumber.BMPString or UniversalTagNumber.UniversalString or UniversalTagNumber.VisibleString))
        {
            return false;
        }

        value = reader.ReadCharacterString(type);
        return true;
    }

    private static string Escape(string value)
    {
        var sb = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c is ',' or '+' or '"' or '\\' or '<' or '>' or ';' || (i == 0 && c is '#' or ' ') || (i == value.Length - 1 && c == ' '))
            {
                sb.Append('\\').Append(c);
            }
            else if (c < 0x20 || c >= 0x7f)
            {
                var utf8 = Encoding.UTF8.GetBytes(value.Substring(i, char.IsHighSurrogate(c) && i + 1 < value.Length ? 2 : 1));
                i += utf8.Length > 3 && char.IsHighSurrogate(c) ? 1 : 0;
                foreach (var b in utf8)
                {
                    sb.Append('\\').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    private sealed record XfccMemo(object Owner, string Element);
}
