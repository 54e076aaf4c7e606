using System.Formats.Asn1;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Envoy.Type.Matcher.V3;

namespace Meshwork.Proxy.Connections;

/// <summary>
/// Envoy's CertificateValidationContext for client certificates: chain to the trusted CA (a custom
/// root store, not the system's), then the SAN matchers, SPKI pins and certificate-hash pins, all
/// of which must pass when given (SANs: any one matcher). Compiled once; the callback runs per handshake.
/// </summary>
internal sealed class ClientCertificateCheck
{
    private readonly X509Certificate2Collection? _trustedCa;
    private readonly bool _caFromSecret;
    private readonly bool _acceptUntrusted;
    private readonly bool _allowExpired;
    private readonly (SubjectAltNameMatcher.Types.SanType Type, Func<string, bool> Match)[] _sanMatchers;
    private readonly HashSet<string> _spkiPins;
    private readonly HashSet<string> _hashPins;

    private ClientCertificateCheck(CertificateValidationContext context, string where, bool caFromSecret)
    {
        _caFromSecret = caFromSecret;
        if (context.Crl != null)
        {
            throw new ProxyConfigException($"{where}.crl: certificate revocation lists are not supported by mesh-proxy");
        }

        if (context.CaCertificateProviderInstance != null)
        {
            throw new ProxyConfigException($"{where}.ca_certificate_provider_instance: certificate providers are not supported by mesh-proxy");
        }

        _trustedCa = context.TrustedCa != null ? TlsDataSources.LoadTrustedCa(context.TrustedCa, $"{where}.trusted_ca") : null;
        _acceptUntrusted = context.TrustChainVerification == CertificateValidationContext.Types.TrustChainVerification.AcceptUntrusted;
        _allowExpired = context.AllowExpiredCertificate;
        _sanMatchers = context.MatchTypedSubjectAltNames
            .Select((m, i) => (m.SanType, Compile(m.Matcher, $"{where}.match_typed_subject_alt_names[{i}]")))
            .Concat(context.MatchSubjectAltNames.Select((m, i) => (SubjectAltNameMatcher.Types.SanType.Unspecified, Compile(m, $"{where}.match_subject_alt_names[{i}]"))))
            .ToArray();
        _spkiPins = new HashSet<string>(context.VerifyCertificateSpki, StringComparer.Ordinal);
        _hashPins = new HashSet<string>(context.VerifyCertificateHash.Select(h => h.Replace(":", string.Empty, StringComparison.Ordinal).ToLowerInvariant()), StringComparer.Ordinal);
        if (_trustedCa == null && !caFromSecret && _sanMatchers.Length > 0)
        {
            throw new ProxyConfigException($"{where}: SAN-based verification of peer certificates without trusted_ca is insecure and not allowed");
        }
    }

    /// <param name="caFromSecret">The trusted CA comes from an SDS secret (ROOTCA) given per handshake to <see cref="ChainPolicy"/>.</param>
    public static ClientCertificateCheck Compile(CertificateValidationContext context, string where, bool caFromSecret = false) => new(context, where, caFromSecret);

    /// <summary>The chain policy SslStream builds the client's chain with: our CA (or the secret's roots) as the only root.</summary>
    public X509ChainPolicy? ChainPolicy(X509Certificate2Collection? secretRoots = null)
    {
        var roots = _caFromSecret ? secretRoots : _trustedCa;
        if (roots == null)
        {
            return null;
        }

        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            VerificationFlags = _allowExpired ? X509VerificationFlags.IgnoreNotTimeValid : X509VerificationFlags.NoFlag,
        };
        policy.CustomTrustStore.AddRange(roots);
        return policy;
    }

    public bool Accepts(X509Certificate2 certificate, SslPolicyErrors errors)
    {
        // Without trusted_ca Envoy checks only the pins; the system roots never count.
        var chainOk = (_trustedCa == null && !_caFromSecret) || _acceptUntrusted || (errors & SslPolicyErrors.RemoteCertificateChainErrors) == 0;
        if (!chainOk)
        {
            return false;
        }

        if (_spkiPins.Count > 0 || _hashPins.Count > 0)
        {
            var spki = Convert.ToBase64String(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
            var hash = Convert.ToHexStringLower(SHA256.HashData(certificate.RawDataMemory.Span));
            if (!_spkiPins.Contains(spki) && !_hashPins.Contains(hash))
            {
                return false;
            }
        }

        return _sanMatchers.Length == 0 || SubjectAltNames(certificate).Any(san => _sanMatchers.Any(m => (m.Type == SubjectAltNameMatcher.Types.SanType.Unspecified || m.Type == san.Type) && m.Match(san.Value)));
    }

    /// <summary>The certificate's SANs by type; read from the extension's DER, since .NET exposes only DNS and IP names.</summary>
    internal static IEnumerable<(SubjectAltNameMatcher.Types.SanType Type, string Value)> SubjectAltNames(X509Certificate2 certificate)
    {
        var extension = certificate.Extensions["2.5.29.17"];
        if (extension == null)
        {
            return [];
        }

        var names = new List<(SubjectAltNameMatcher.Types.SanType, string)>();
        try
        {
            var sequence = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            while (sequence.HasData)
            {
                var tag = sequence.PeekTag();
                if (tag.TagClass != TagClass.ContextSpecific)
                {
                    sequence.ReadEncodedValue();
                    continue;
                }

                switch (tag.TagValue)
                {
                    case 1:
                        names.Add((SubjectAltNameMatcher.Types.SanType.Email, sequence.ReadCharacterString(UniversalTagNumber.IA5String, tag)));
                        break;
                    case 2:
                        names.Add((SubjectAltNameMatcher.Types.SanType.Dns, sequence.ReadCharacterString(UniversalTagNumber.IA5String, tag)));
                        break;
                    case 6:
                        names.Add((SubjectAltNameMatcher.Types.SanType.Uri, sequence.ReadCharacterString(UniversalTagNumber.IA5String, tag)));
                        break;
                    case 7:
                        names.Add((SubjectAltNameMatcher.Types.SanType.IpAddress, new IPAddress(sequence.ReadOctetString(tag)).ToString()));
                        break;
                    default:
                        sequence.ReadEncodedValue();
                        break;
                }
            }
        }
        catch (Exception e) when (e is AsnContentException or ArgumentException)
        {
            // A SAN extension we cannot read matches nothing, so a required SAN fails closed.
        }

        return names;
    }

    /// <summary>An Envoy StringMatcher as a predicate; regexes compiled once, as RE2 semantics allow.</summary>
    internal static Func<string, bool> Compile(StringMatcher? matcher, string where)
    {
        if (matcher == null)
        {
            throw new ProxyConfigException($"{where}: no matcher given");
        }

        var comparison = matcher.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        switch (matcher.MatchPatternCase)
        {
            case StringMatcher.MatchPatternOneofCase.Exact:
                var exact = matcher.Exact;
                return s => string.Equals(s, exact, comparison);
            case StringMatcher.MatchPatternOneofCase.Prefix:
                var prefix = matcher.Prefix;
                return s => s.StartsWith(prefix, comparison);
            case StringMatcher.MatchPatternOneofCase.Suffix:
                var suffix = matcher.Suffix;
                return s => s.EndsWith(suffix, comparison);
            case StringMatcher.MatchPatternOneofCase.Contains:
                var contains = matcher.Contains;
                return s => s.Contains(contains, comparison);
            case StringMatcher.MatchPatternOneofCase.SafeRegex:
                try
                {
                    var regex = new Regex($"^(?:{matcher.SafeRegex.Regex})$", RegexOptions.Compiled | RegexOptions.CultureInvariant | (matcher.IgnoreCase ? RegexOptions.IgnoreCase : RegexOptions.None));
                    return regex.IsMatch;
                }
                catch (ArgumentException e)
                {
                    throw new ProxyConfigException($"{where}: safe_regex \"{matcher.SafeRegex.Regex}\": invalid regex: {e.Message}");
                }

            default:
                throw new ProxyConfigException($"{where}: no match pattern given");
        }
    }
}
