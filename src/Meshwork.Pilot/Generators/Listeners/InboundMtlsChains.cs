using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Security;
using Meshwork.Pilot.Generators.Clusters;
using TlsProtocol = Envoy.Extensions.TransportSockets.Tls.V3.TlsParameters.Types.TlsProtocol;

namespace Meshwork.Pilot.Generators.Listeners;

/// <summary>
/// The filter chains of one inbound port for its effective mTLS mode (Istio's inbound filter chain
/// match options and BuildInboundTLS). STRICT: one chain for <c>tls</c> that terminates Istio mTLS,
/// so plaintext matches nothing and is closed. PERMISSIVE: that chain restricted to Istio's in-mesh
/// ALPNs, beside a <c>raw_buffer</c> plaintext chain (TCP ports also relay other TLS as bytes).
/// DISABLE: the plaintext chain only. The TLS context takes the workload certificate and root from
/// SDS (<c>default</c>, <c>ROOTCA</c>) and requires a client certificate.
/// </summary>
internal static class InboundMtlsChains
{
    /// <summary>Every ALPN an Istio client sends with mTLS (allIstioMtlsALPNs): how PERMISSIVE tells mesh traffic apart.</summary>
    public static readonly IReadOnlyList<string> IstioMtlsAlpns = ["istio", "istio-peer-exchange", "istio-http/1.0", "istio-http/1.1", "istio-h2"];

    /// <summary>Offered by the server: the HTTP protocols (ALPNHttp), or with metadata exchange first for TCP (ALPNDownstreamWithMxc).</summary>
    private static readonly string[] AlpnHttp = ["h2", "http/1.1"];
    private static readonly string[] AlpnTcp = ["istio-peer-exchange", "h2", "http/1.1"];

    /// <summary>Istio's SupportedCiphers for server-side mesh TLS (TLS 1.2; TLS 1.3 suites are fixed).</summary>
    private static readonly string[] SupportedCiphers =
    [
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-GCM-SHA256",
    ];

    /// <summary>
    /// The chains, in Istio's order; <paramref name="filter"/> makes one chain's network filters (the
    /// same for every chain: the HCM itself tells mTLS from plaintext for XFCC), once per chain so no
    /// message is shared between chains.
    /// </summary>
    public static IEnumerable<FilterChain> Build(string name, MutualTlsMode mode, bool http, Func<IEnumerable<Filter>> filter)
    {
        switch (mode)
        {
            case MutualTlsMode.Strict:
                yield return Chain(name, ConnectionFacts.Tls, [], filter(), http);
                break;
            case MutualTlsMode.Disable:
                yield return Chain(name, ConnectionFacts.RawBuffer, [], filter(), null);
                break;
            default:
                yield return Chain(name, ConnectionFacts.Tls, IstioMtlsAlpns, filter(), http);
                if (!http)
                {
                    // One-way TLS from a client without a sidecar: relayed as bytes, as Istio's "plain TLS" chain.
                    yield return Chain(name, ConnectionFacts.Tls, [], filter(), null);
                }

                yield return Chain(name, ConnectionFacts.RawBuffer, [], filter(), null);
                break;
        }
    }

    /// <summary>Istio's BuildInboundTLS for a mesh port: mTLS with the workload identity, the client checked against the mesh root.</summary>
    public static DownstreamTlsContext TlsContext(bool http)
    {
        var common = new CommonTlsContext
        {
            TlsParams = new TlsParameters { TlsMinimumProtocolVersion = TlsProtocol.Tlsv12, TlsMaximumProtocolVersion = TlsProtocol.Tlsv13 },
            CombinedValidationContext = new CommonTlsContext.Types.CombinedCertificateValidationContext
            {
                DefaultValidationContext = new CertificateValidationContext(),
                ValidationContextSdsSecretConfig = UpstreamTlsContexts.AdsSecret(UpstreamTlsContexts.RootCertificate),
            },
        };
        common.TlsParams.CipherSuites.AddRange(SupportedCiphers);
        common.AlpnProtocols.AddRange(http ? AlpnHttp : AlpnTcp);
        common.TlsCertificateSdsSecretConfigs.Add(UpstreamTlsContexts.AdsSecret(UpstreamTlsContexts.WorkloadCertificate));
        return new DownstreamTlsContext { CommonTlsContext = common, RequireClientCertificate = true };
    }

    /// <summary>A listener needs the tls_inspector only when some chain matches what it reads (without it every connection is raw_buffer, as in Envoy).</summary>
    public static bool NeedsTlsInspector(Listener listener) =>
        listener.FilterChains.Any(c => c.FilterChainMatch is { } m && (m.TransportProtocol == ConnectionFacts.Tls || m.ApplicationProtocols.Count > 0 || m.ServerNames.Count > 0));

    /// <summary><paramref name="mtlsHttp"/>: null for a chain that does not terminate TLS, else whether the port is HTTP.</summary>
    private static FilterChain Chain(string name, string transport, IReadOnlyList<string> alpn, IEnumerable<Filter> filters, bool? mtlsHttp)
    {
        var match = new FilterChainMatch { TransportProtocol = transport };
        match.ApplicationProtocols.AddRange(alpn);
        var chain = new FilterChain { Name = name, FilterChainMatch = match };
        if (mtlsHttp == false)
        {
            // Istio's TCPListenerMx: a TCP mTLS chain takes the client's workload announcement (ALPN istio-peer-exchange).
            chain.Filters.Add(new Filter { Name = Clusters.TcpMetadataExchange.FilterName, TypedConfig = Any.Pack(Clusters.TcpMetadataExchange.Config) });
        }

        chain.Filters.AddRange(filters);
        if (mtlsHttp is { } http)
        {
            chain.TransportSocket = new TransportSocket { Name = UpstreamTlsContexts.TlsSocketName, TypedConfig = Any.Pack(TlsContext(http)) };
        }

        return chain;
    }

    /// <summary>Envoy's transport protocol names as the tls_inspector sets them.</summary>
    private static class ConnectionFacts
    {
        public const string Tls = "tls";
        public const string RawBuffer = "raw_buffer";
    }
}
