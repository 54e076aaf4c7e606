using System.Security.Authentication;
using System.Text.RegularExpressions;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Envoy.Type.Matcher.V3;
using SanType = Envoy.Extensions.TransportSockets.Tls.V3.SubjectAltNameMatcher.Types.SanType;

namespace Meshwork.Proxy.Upstream;

/// <summary>
/// An UpstreamTlsContext compiled: file paths rather than file contents (compiling stays pure;
/// the files are read when the connection pool is built), the SAN checks, and — for
/// certificates that only SDS or a certificate provider would supply (Istio mTLS, credential
/// names) — the reason they are not available yet, which makes requests fail as 503 UF.
/// </summary>
/// <param name="Sni">Fixed SNI, or null to send the request's host (auto SNI, or no SNI configured).</param>
/// <param name="AutoSanValidation">Check the server certificate against the request's host (auto_san_validation).</param>
/// <param name="VerifyChain">False for an empty validation context: Envoy then accepts any certificate.</param>
/// <param name="ClientCertificateFile">certificate_chain filename for mutual TLS; null for one-way TLS.</param>
/// <param name="UnavailableReason">Non-null when credentials must come from a source the proxy does not have.</param>
/// <param name="ClientCertificateSecret">The SDS secret holding the client certificate (Istio's <c>default</c>), read per handshake.</param>
/// <param name="TrustedCaSecret">The SDS secret holding the trusted CA (Istio's <c>ROOTCA</c>), read per handshake.</param>
/// <param name="SecretsUnavailableReason">Why the SDS secrets named cannot be had when the secret store does not supply them.</param>
/// <param name="AlpnProtocols">The context's alpn_protocols, offered instead of the HTTP version's own (Istio mTLS offers istio-peer-exchange, istio[, h2]).</param>
internal sealed record TlsOrigination(
    string? Sni,
    bool AutoSanValidation,
    SslProtocols Protocols,
    string? ClientCertificateFile,
    string? ClientKeyFile,
    bool VerifyChain,
    string? TrustedCaFile,
    IReadOnlyList<SanMatcher> SubjectAltNames,
    string? UnavailableReason,
    string? ClientCertificateSecret = null,
    string? TrustedCaSecret = null,
    string? SecretsUnavailableReason = null,
    IReadOnlyList<System.Net.Security.SslApplicationProtocol>? AlpnProtocols = null);

/// <summary>One match_typed_subject_alt_names (or untyped match_subject_alt_names) entry, its regex compiled once.</summary>
internal sealed class SanMatcher
{
    private readonly StringMatcher.MatchPatternOneofCase _kind;
    private readonly string _pattern;
    private readonly bool _ignoreCase;
    private readonly Regex? _regex;

    private SanMatcher(SanType type, StringMatcher.MatchPatternOneofCase kind, string pattern, bool ignoreCase, Regex? regex)
    {
        Type = type;
        _kind = kind;
        _pattern = pattern;
        _ignoreCase = ignoreCase;
        _regex = regex;
    }

    /// <summary>Which SAN kind the matcher applies to; Unspecified means any (the untyped field).</summary>
    public SanType Type { get; }

    public static SanMatcher Compile(SanType type, StringMatcher matcher, string where)
    {
        var kind = matcher.MatchPatternCase;
        switch (kind)
        {
            case StringMatcher.MatchPatternOneofCase.Exact:
                return new SanMatcher(type, kind, matcher.Exact, matcher.IgnoreCase, null);
            case StringMatcher.MatchPatternOneofCase.Prefix:
                return new SanMatcher(type, kind, matcher.Prefix, matcher.IgnoreCase, null);
            case StringMatcher.MatchPatternOneofCase.Suffix:
                return new SanMatcher(type, kind, matcher.Suffix, matcher.IgnoreCase, null);
            case StringMatcher.MatchPatternOneofCase.Contains:
                return new SanMatcher(type, kind, matcher.Contains, matcher.IgnoreCase, null);
            case StringMatcher.MatchPatternOneofCase.SafeRegex:
                try
                {
                    var regex = new Regex("^(?:" + matcher.SafeRegex.Regex + ")$", RegexOptions.Compiled | RegexOptions.CultureInvariant);
                    return new SanMatcher(type, kind, matcher.SafeRegex.Regex, false, regex);
                }
                catch (ArgumentException e)
                {
                    throw new ProxyConfigException($"{where}: safe_regex \"{matcher.SafeRegex.Regex}\": invalid regex: {e.Message}");
                }

            default:
                throw new ProxyConfigException($"{where}: string matcher has no pattern");
        }
    }

    public bool Matches(string value)
    {
        var comparison = _ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return _kind switch
        {
            StringMatcher.MatchPatternOneofCase.Exact => string.Equals(value, _pattern, comparison),
            StringMatcher.MatchPatternOneofCase.Prefix => value.StartsWith(_pattern, comparison),
            StringMatcher.MatchPatternOneofCase.Suffix => value.EndsWith(_pattern, comparison),
            StringMatcher.MatchPatternOneofCase.Contains => value.Contains(_pattern, comparison),
            _ => _regex!.IsMatch(value),
        };
    }
}
