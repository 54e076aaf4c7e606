using Meshwork.Config.Loading;
using Meshwork.Config.Networking;
using Meshwork.Config.Values;

namespace Meshwork.Config.Tests.Networking;

public class GatewayBindingTests
{
    [Fact]
    public void Bind_EveryField_RoundTripsIntoRecords()
    {
        var yaml = """
            apiVersion: networking.istio.io/v1beta1
            kind: Gateway
            metadata:
              name: edge
              namespace: istio-system
            spec:
              selector:
                istio: ingressgateway
              servers:
              - port:
                  number: 443
                  protocol: HTTPS
                  name: https
                  target_port: 8443
                bind: 10.0.0.1
                hosts: ["prod/*.example.com", "./shop.example.com"]
                defaultEndpoint: 127.0.0.1:8080
                name: main
                tls:
                  httpsRedirect: false
                  mode: OPTIONAL_MUTUAL
                  serverCertificate: /etc/certs/server.pem
                  private_key: /etc/certs/key.pem
                  caCertificates: /etc/certs/ca.pem
                  caCrl: /etc/certs/crl.pem
                  credentialName: edge-cert
                  credentialNames: [edge-rsa, edge-ecdsa]
                  tlsCertificates:
                  - serverCertificate: /a.pem
                    privateKey: /a.key
                    caCertificates: /a-ca.pem
                  subjectAltNames: [spiffe://cluster.local/ns/shop/sa/web]
                  verifyCertificateSpki: [c2hh]
                  verifyCertificateHash: ["AB:CD"]
                  minProtocolVersion: TLSV1_2
                  maxProtocolVersion: TLSV1_3
                  cipherSuites: [ECDHE-RSA-AES128-GCM-SHA256]
                  caCertCredentialName: edge-ca
                  insecureSkipVerify: true
            """;
        var read = ConfigReader.ReadText(yaml, "gw.yaml");

        Assert.Empty(read.Diagnostics);
        var expected = new Gateway
        {
            Selector = ValueMap.Of(("istio", "ingressgateway")),
            Servers = ValueList.Of(new Server
            {
                Port = new Port { Number = 443, Protocol = "HTTPS", Name = "https", TargetPort = 8443 },
                Bind = "10.0.0.1",
                Hosts = ValueList.Of("prod/*.example.com", "./shop.example.com"),
                DefaultEndpoint = "127.0.0.1:8080",
                Name = "main",
                Tls = new ServerTlsSettings
                {
                    HttpsRedirect = false,
                    Mode = ServerTlsMode.OptionalMutual,
                    ServerCertificate = "/etc/certs/server.pem",
                    PrivateKey = "/etc/certs/key.pem",
                    CaCertificates = "/etc/certs/ca.pem",
                    CaCrl = "/etc/certs/crl.pem",
                    CredentialName = "edge-cert",
                    CredentialNames = ValueList.Of("edge-rsa", "edge-ecdsa"),
                    TlsCertificates = ValueList.Of(new TlsCertificate { ServerCertificate = "/a.pem", PrivateKey = "/a.key", CaCertificates = "/a-ca.pem" }),
                    SubjectAltNames = ValueList.Of("spiffe://cluster.local/ns/shop/sa/web"),
                    VerifyCertificateSpki = ValueList.Of("c2hh"),
                    VerifyCertificateHash = ValueList.Of("AB:CD"),
                    MinProtocolVersion = TlsProtocol.Tlsv12,
                    MaxProtocolVersion = TlsProtocol.Tlsv13,
                    CipherSuites = ValueList.Of("ECDHE-RSA-AES128-GCM-SHA256"),
                    CaCertCredentialName = "edge-ca",
                    InsecureSkipVerify = true,
                },
            }),
        };
        Assert.Equal(expected, Assert.Single(read.Resources).SpecAs<Gateway>());
    }

    [Theory]
    [InlineData("PASSTHROUGH", ServerTlsMode.Passthrough)]
    [InlineData("AUTO_PASSTHROUGH", ServerTlsMode.AutoPassthrough)]
    [InlineData("ISTIO_MUTUAL", ServerTlsMode.IstioMutual)]
    [InlineData("4", ServerTlsMode.IstioMutual)]
    public void Bind_TlsModeByNameOrNumber_BindsEnum(string wire, ServerTlsMode mode)
    {
        var yaml = $$"""
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: gw}
            spec:
              servers:
              - port: {number: 443, name: tls, protocol: TLS}
                hosts: ["*"]
                tls: {mode: {{wire}}}
            """;
        var gateway = Assert.Single(ConfigReader.ReadText(yaml, "gw.yaml").Resources).SpecAs<Gateway>();
        Assert.Equal(mode, gateway.Servers[0].Tls!.Mode);
    }

    [Fact]
    public void Bind_UnknownTlsVersion_ReportsBinderError()
    {
        var yaml = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: gw}
            spec:
              servers:
              - port: {number: 443, name: tls, protocol: TLS}
                hosts: ["*"]
                tls: {mode: SIMPLE, credentialName: c, minProtocolVersion: TLSV1.2}
            """;
        Assert.Equal(
            ["gw.yaml:8: Gateway default/gw: spec.servers[0].tls.minProtocolVersion: unknown value \"TLSV1.2\", expected one of: TLS_AUTO, TLSV1_0, TLSV1_1, TLSV1_2, TLSV1_3"],
            ConfigReader.ReadText(yaml, "gw.yaml").Diagnostics.Select(d => d.ToString()));
    }
}
