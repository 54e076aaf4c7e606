using System.Net;
using Envoy.Config.Core.V3;
using Envoy.Extensions.TransportSockets.RawBuffer.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Networking;
using SanType = Envoy.Extensions.TransportSockets.Tls.V3.SubjectAltNameMatcher.Types.SanType;
using TlsProtocol = Envoy.Extensions.TransportSockets.Tls.V3.TlsParameters.Types.TlsProtocol;

namespace Meshwork.Pilot.Generators.Clusters;

/// <summary>
/// The TLS contexts a cluster can originate (Istio's cluster_tls.go): Istio mTLS with the workload
/// certificate and root served over ADS as SDS secrets <c>default</c> and <c>ROOTCA</c>; TLS or
/// mutual TLS with files or a credential named in the rule; and, for proxyless gRPC clients, Istio
/// mTLS through the certificate provider their bootstrap names <c>default</c> (gRPC rejects SDS).
/// </summary>
internal static class UpstreamTlsContexts
{
    public const string TlsSocketName = "envoy.transport_sockets.tls";
    public const string RawBufferSocketName = "envoy.transport_sockets.raw_buffer";

    /// <summary>SDS names of the workload certificate and of the mesh root, as Istio's agent serves them.</summary>
    public const string WorkloadCertificate = "default";
    public const string RootCertificate = "ROOTCA";

    /// <summary>
    /// What Istio's "system" CA means when a rule names no CA: the OS trust bundle. Verifying
    /// against it keeps TLS origination fail-closed, where an empty trust store would verify nothing.
    /// </summary>
    public const string SystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

    /// <summary>Istio's in-mesh ALPN with metadata exchange (ALPNInMeshWithMxc, ALPNInMeshH2WithMxc): servers tell mesh traffic by it.</summary>
    private static readonly string[] AlpnInMesh = ["istio-peer-exchange", "istio"];
    private static readonly string[] AlpnInMeshH2 = ["istio-peer-exchange", "istio", "h2"];

    public static UpstreamTlsContext IstioMutual(IEnumerable<string> subjectAltNames, string sni, bool http2)
    {
        var common = DefaultCommon();
        common.TlsCertificateSdsSecretConfigs.Add(AdsSecret(WorkloadCertificate));
        common.CombinedValidationContext = new CommonTlsContext.Types.CombinedCertificateValidationContext
        {
            DefaultValidationContext = Validation(subjectAltNames),
            ValidationContextSdsSecretConfig = AdsSecret(RootCertificate),
        };
        common.AlpnProtocols.AddRange(http2 ? AlpnInMeshH2 : AlpnInMesh);
        return new UpstreamTlsContext { CommonTlsContext = common, Sni = sni };
    }

    /// <summary>
    /// SIMPLE or MUTUAL (Istio's constructUpstreamTLS). A credential name means SDS secrets over ADS
    /// (<c>kubernetes://NAME</c>, and <c>NAME-cacert</c> for the CA); otherwise certificate, key and
    /// CA are files. Without SANs in the rule, the service's own identities are checked; without an
    /// SNI, the proxy sends the request's host (auto SNI) and checks the certificate against it.
    /// </summary>
    public static UpstreamTlsContext Originated(ClientTlsSettings tls, IReadOnlyList<string> serviceSans, UpstreamHttpOptions http)
    {
        var context = new UpstreamTlsContext { CommonTlsContext = DefaultCommon(), Sni = tls.Sni };
        var insecure = tls.InsecureSkipVerify == true;
        if (tls.Sni.Length == 0)
        {
            var upstream = http.Get().UpstreamHttpProtocolOptions ??= new UpstreamHttpProtocolOptions();
            upstream.AutoSni = true;
            upstream.AutoSanValidation = tls.SubjectAltNames.IsEmpty && !insecure;
        }

        var sans = tls.SubjectAltNames.IsEmpty ? serviceSans : tls.SubjectAltNames;
        var common = context.CommonTlsContext;
        if (tls.CredentialName.Length > 0)
        {
            if (tls.Mode == ClientTlsMode.Mutual)
            {
                common.TlsCertificateSdsSecretConfigs.Add(AdsSecret(CredentialResource(tls.CredentialName)));
            }

            if (!insecure)
            {
                common.CombinedValidationContext = new CommonTlsContext.Types.CombinedCertificateValidationContext
                {
                    DefaultValidationContext = Validation(tls.SubjectAltNames),
                    ValidationContextSdsSecretConfig = AdsSecret(CredentialResource(tls.CredentialName + "-cacert")),
                };
            }
        }
        else
        {
            if (tls.Mode == ClientTlsMode.Mutual)
            {
                common.TlsCertificates.Add(new Envoy.Extensions.TransportSockets.Tls.V3.TlsCertificate
                {
                    CertificateChain = new DataSource { Filename = tls.ClientCertificate },
                    PrivateKey = new DataSource { Filename = tls.PrivateKey },
                });
            }

            common.ValidationContext = insecure ? new CertificateValidationContext() : FileValidation(tls, sans);
        }

        if (http.IsHttp2)
        {
            common.AlpnProtocols.Add("h2");
        }

        return context;
    }

    /// <summary>
    /// Istio mTLS for a proxyless gRPC client (gRFC A29): certificate and root from its bootstrap's
    /// <c>default</c> certificate provider. gRPC reads the untyped <c>match_subject_alt_names</c>
    /// only, so the identities go there (a typed matcher would be ignored and let any mesh
    /// identity through).
    /// </summary>
    public static UpstreamTlsContext ProxylessIstioMutual(IEnumerable<string> subjectAltNames)
    {
        var validation = new CertificateValidationContext
        {
            CaCertificateProviderInstance = new CertificateProviderPluginInstance { InstanceName = "default", CertificateName = RootCertificate },
        };
        validation.MatchSubjectAltNames.AddRange(subjectAltNames.Select(san => new StringMatcher { Exact = san }));
        return new UpstreamTlsContext
        {
            CommonTlsContext = new CommonTlsContext
            {
                TlsCertificateProviderInstance = new CertificateProviderPluginInstance { InstanceName = "default", CertificateName = WorkloadCertificate },
                ValidationContext = validation,
            },
        };
    }

    public static TransportSocket Socket(UpstreamTlsContext context) => new() { Name = TlsSocketName, TypedConfig = Any.Pack(context) };

    public static TransportSocket RawBuffer() => new() { Name = RawBufferSocketName, TypedConfig = Any.Pack(new RawBuffer()) };

    /// <summary>SANs matched exactly, typed as URI (SPIFFE ids), IP address, or DNS name.</summary>
    public static SubjectAltNameMatcher SanMatcher(string san) => new()
    {
        SanType = san.Contains("://", StringComparison.Ordinal) ? SanType.Uri : IPAddress.TryParse(san, out _) ? SanType.IpAddress : SanType.Dns,
        Matcher = new StringMatcher { Exact = san },
    };

    /// <summary>Istio's credentials.ToResourceName: a bare name is a Kubernetes secret.</summary>
    private static string CredentialResource(string name) => name.Contains("://", StringComparison.Ordinal) ? name : "kubernetes://" + name;

    private static CertificateValidationContext FileValidation(ClientTlsSettings tls, IEnumerable<string> sans)
    {
        var validation = Validation(sans);
        validation.TrustedCa = new DataSource { Filename = tls.CaCertificates.Length > 0 ? tls.CaCertificates : SystemCaBundle };
        if (tls.CaCrl.Length > 0)
        {
            validation.Crl = new DataSource { Filename = tls.CaCrl };
        }

        return validation;
    }

    private static CertificateValidationContext Validation(IEnumerable<string> sans)
    {
        var validation = new CertificateValidationContext();
        validation.MatchTypedSubjectAltNames.AddRange(sans.Select(SanMatcher));
        return validation;
    }

    /// <summary>Istio's defaultUpstreamCommonTLSContext: TLS 1.2 to 1.3.</summary>
    private static CommonTlsContext DefaultCommon() => new()
    {
        TlsParams = new TlsParameters { TlsMinimumProtocolVersion = TlsProtocol.Tlsv12, TlsMaximumProtocolVersion = TlsProtocol.Tlsv13 },
    };

    /// <summary>An SDS secret fetched over the ADS stream (Istio serves <c>default</c> and <c>ROOTCA</c> from the agent).</summary>
    internal static SdsSecretConfig AdsSecret(string name) => new()
    {
        Name = name,
        SdsConfig = new ConfigSource { Ads = new AggregatedConfigSource(), ResourceApiVersion = ApiVersion.V3 },
    };
}
