using Envoy.Config.Core.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Networking;
using TlsCertificate = Envoy.Extensions.TransportSockets.Tls.V3.TlsCertificate;

namespace Meshwork.Pilot.Generators.Listeners;

/// <summary>
/// The TLS a gateway server terminates (Istio's BuildListenerTLSContext): certificates from the
/// files the server names (or, with <c>credentialName</c>, from SDS as <c>kubernetes://NAME</c>),
/// ALPN h2 and http/1.1, and for MUTUAL a client certificate checked against the CA file (plus
/// CRL, SPKI/hash pins and SANs when given). Protocol versions and cipher suites as written.
/// ISTIO_MUTUAL uses the proxy's own identity and the mesh root from SDS, as Istio does.
/// </summary>
internal static class GatewayTlsContext
{
    public const string TransportSocketName = "envoy.transport_sockets.tls";

    public static TransportSocket TransportSocket(ServerTlsSettings tls) =>
        new() { Name = TransportSocketName, TypedConfig = Any.Pack(Build(tls)) };

    public static DownstreamTlsContext Build(ServerTlsSettings tls)
    {
        var common = new CommonTlsContext { AlpnProtocols = { "h2", "http/1.1" } };
        var mutual = tls.Mode is ServerTlsMode.Mutual or ServerTlsMode.IstioMutual;
        var context = new DownstreamTlsContext { CommonTlsContext = common, RequireClientCertificate = mutual };

        var credentials = tls.CredentialNames.IsEmpty && tls.CredentialName.Length > 0 ? [tls.CredentialName] : tls.CredentialNames.ToList();
        if (tls.Mode == ServerTlsMode.IstioMutual)
        {
            // The workload identity and mesh root, from the proxy's own SDS (Istio's "default" and "ROOTCA").
            common.TlsCertificateSdsSecretConfigs.Add(new SdsSecretConfig { Name = "default", SdsConfig = HttpConnectionManagers.Ads() });
            common.CombinedValidationContext = new CommonTlsContext.Types.CombinedCertificateValidationContext
            {
                DefaultValidationContext = new CertificateValidationContext(),
                ValidationContextSdsSecretConfig = new SdsSecretConfig { Name = "ROOTCA", SdsConfig = HttpConnectionManagers.Ads() },
            };
            return context;
        }

        if (credentials.Count > 0)
        {
            foreach (var credential in credentials)
            {
                common.TlsCertificateSdsSecretConfigs.Add(new SdsSecretConfig { Name = "kubernetes://" + credential, SdsConfig = HttpConnectionManagers.Ads() });
            }
        }
        else
        {
            AddCertificate(common, tls.ServerCertificate, tls.PrivateKey);
            foreach (var certificate in tls.TlsCertificates)
            {
                AddCertificate(common, certificate.ServerCertificate, certificate.PrivateKey);
            }
        }

        if (mutual || tls.Mode == ServerTlsMode.OptionalMutual)
        {
            common.ValidationContext = Validation(tls);
        }

        if (tls.MinProtocolVersion != TlsProtocol.TlsAuto || tls.MaxProtocolVersion != TlsProtocol.TlsAuto || !tls.CipherSuites.IsEmpty)
        {
            common.TlsParams = new TlsParameters
            {
                TlsMinimumProtocolVersion = (TlsParameters.Types.TlsProtocol)(int)tls.MinProtocolVersion,
                TlsMaximumProtocolVersion = (TlsParameters.Types.TlsProtocol)(int)tls.MaxProtocolVersion,
                CipherSuites = { tls.CipherSuites },
            };
        }

        return context;
    }

    private static void AddCertificate(CommonTlsContext common, string certificate, string privateKey)
    {
        if (certificate.Length == 0 || privateKey.Length == 0)
        {
            return;
        }

        common.TlsCertificates.Add(new TlsCertificate
        {
            CertificateChain = new DataSource { Filename = certificate },
            PrivateKey = new DataSource { Filename = privateKey },
        });
    }

    private static CertificateValidationContext Validation(ServerTlsSettings tls)
    {
        var validation = new CertificateValidationContext();
        if (tls.CaCertificates.Length > 0)
        {
            validation.TrustedCa = new DataSource { Filename = tls.CaCertificates };
        }

        if (tls.CaCrl.Length > 0)
        {
            validation.Crl = new DataSource { Filename = tls.CaCrl };
        }

        validation.VerifyCertificateSpki.AddRange(tls.VerifyCertificateSpki);
        validation.VerifyCertificateHash.AddRange(tls.VerifyCertificateHash);
        foreach (var san in tls.SubjectAltNames)
        {
            var type = san.Contains("://", StringComparison.Ordinal) ? SubjectAltNameMatcher.Types.SanType.Uri : SubjectAltNameMatcher.Types.SanType.Dns;
            validation.MatchTypedSubjectAltNames.Add(new SubjectAltNameMatcher { SanType = type, Matcher = new StringMatcher { Exact = san } });
        }

        return validation;
    }
}
