using System.Collections.Frozen;
using System.Net.Security;
using System.Security.Authentication;
using Envoy.Extensions.TransportSockets.Tls.V3;

namespace Meshwork.Proxy.Connections;

/// <summary>
/// Envoy's TlsParameters in .NET terms: protocol bounds (downstream defaults TLS 1.2 to 1.3) as
/// SslProtocols, and cipher_suites, written in BoringSSL's names and bracketed equal-preference
/// groups, as a CipherSuitesPolicy. Envoy's cipher list governs TLS 1.2 and below only (BoringSSL
/// does not make TLS 1.3 suites configurable), so the TLS 1.3 suites are always kept.
/// </summary>
internal static class TlsParameterTranslation
{
    private static readonly FrozenDictionary<string, TlsCipherSuite> BoringSslNames = new Dictionary<string, TlsCipherSuite>(StringComparer.Ordinal)
    {
        ["ECDHE-ECDSA-AES128-GCM-SHA256"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        ["ECDHE-RSA-AES128-GCM-SHA256"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        ["ECDHE-ECDSA-AES256-GCM-SHA384"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        ["ECDHE-RSA-AES256-GCM-SHA384"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        ["ECDHE-ECDSA-CHACHA20-POLY1305"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        ["ECDHE-RSA-CHACHA20-POLY1305"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ["ECDHE-PSK-CHACHA20-POLY1305"] = TlsCipherSuite.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256,
        ["ECDHE-ECDSA-AES128-SHA"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        ["ECDHE-RSA-AES128-SHA"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
        ["ECDHE-PSK-AES128-CBC-SHA"] = TlsCipherSuite.TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA,
        ["ECDHE-ECDSA-AES256-SHA"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
        ["ECDHE-RSA-AES256-SHA"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
        ["ECDHE-PSK-AES256-CBC-SHA"] = TlsCipherSuite.TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA,
        ["AES128-GCM-SHA256"] = TlsCipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256,
        ["AES256-GCM-SHA384"] = TlsCipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384,
        ["AES128-SHA"] = TlsCipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA,
        ["AES256-SHA"] = TlsCipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA,
        ["PSK-AES128-CBC-SHA"] = TlsCipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA,
        ["PSK-AES256-CBC-SHA"] = TlsCipherSuite.TLS_PSK_WITH_AES_256_CBC_SHA,
        ["DES-CBC3-SHA"] = TlsCipherSuite.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly TlsCipherSuite[] Tls13Suites =
    [
        TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    ];

    public static (SslProtocols Protocols, CipherSuitesPolicy? Ciphers) Translate(TlsParameters? parameters, string where)
    {
        if (parameters == null)
        {
            return (SslProtocols.Tls12 | SslProtocols.Tls13, null);
        }

        if (parameters.EcdhCurves.Count > 0)
        {
            throw new ProxyConfigException($"{where}.ecdh_curves: choosing curves is not supported by mesh-proxy");
        }

        if (parameters.SignatureAlgorithms.Count > 0)
        {
            throw new ProxyConfigException($"{where}.signature_algorithms: choosing signature algorithms is not supported by mesh-proxy");
        }

        var min = Version(parameters.TlsMinimumProtocolVersion, TlsParameters.Types.TlsProtocol.Tlsv12);
        var max = Version(parameters.TlsMaximumProtocolVersion, TlsParameters.Types.TlsProtocol.Tlsv13);
        if (min > max)
        {
            throw new ProxyConfigException($"{where}: tls_minimum_protocol_version {parameters.TlsMinimumProtocolVersion} is above tls_maximum_protocol_version {parameters.TlsMaximumProtocolVersion}");
        }

        var protocols = SslProtocols.None;
        for (var version = min; version <= max; version++)
        {
            protocols |= Protocol(version);
        }

        return (protocols, Ciphers(parameters.CipherSuites, where));
    }

    private static TlsParameters.Types.TlsProtocol Version(TlsParameters.Types.TlsProtocol value, TlsParameters.Types.TlsProtocol automatic) =>
        value == TlsParameters.Types.TlsProtocol.TlsAuto ? automatic : value;

#pragma warning disable SYSLIB0039 // TLS 1.0 and 1.1 are obsolete, yet Envoy lets a context ask for them.
    private static SslProtocols Protocol(TlsParameters.Types.TlsProtocol version) => version switch
    {
        TlsParameters.Types.TlsProtocol.Tlsv10 => SslProtocols.Tls,
        TlsParameters.Types.TlsProtocol.Tlsv11 => SslProtocols.Tls11,
        TlsParameters.Types.TlsProtocol.Tlsv12 => SslProtocols.Tls12,
        _ => SslProtocols.Tls13,
    };
#pragma warning restore SYSLIB0039

    private static CipherSuitesPolicy? Ciphers(IReadOnlyCollection<string> configured, string where)
    {
        if (configured.Count == 0)
        {
            return null;
        }

        var suites = new List<TlsCipherSuite>();
        foreach (var entry in configured)
        {
            // "[A|B]" is an equal-preference group; .NET has only an order, so the group keeps its written order.
            foreach (var name in entry.Trim('[', ']').Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (BoringSslNames.TryGetValue(name, out var suite) || Enum.TryParse(name, ignoreCase: false, out suite))
                {
                    suites.Add(suite);
                }
                else
                {
                    throw new ProxyConfigException($"{where}.cipher_suites \"{name}\": unknown cipher suite");
                }
            }
        }

        if (OperatingSystem.IsWindows())
        {
            throw new ProxyConfigException($"{where}.cipher_suites: this platform cannot restrict cipher suites");
        }

        return new CipherSuitesPolicy(suites.Concat(Tls13Suites).Distinct());
    }
}
