using Meshwork.Config.Tests.Support;
using static Meshwork.Config.Tests.Validation.Networking.SidecarYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class SidecarIngressTlsRuleTests
{
    private static string Tls(string protocol, string tls) =>
        Header + $"  ingress:\n  - port: {{number: 9443, protocol: {protocol}, name: https}}\n    defaultEndpoint: \"127.0.0.1:9080\"\n    tls: {{{tls}}}\n";

    [Theory]
    [InlineData("HTTPS", "mode: SIMPLE, serverCertificate: cert.pem, privateKey: key.pem")]
    [InlineData("TLS", "mode: MUTUAL, serverCertificate: cert.pem, privateKey: key.pem, caCertificates: ca.pem")]
    [InlineData("HTTPS", "mode: OPTIONAL_MUTUAL, serverCertificate: cert.pem, privateKey: key.pem, caCertificates: ca.pem, caCrl: crl.pem")]
    public void Check_ValidTls_Accepted(string protocol, string tls) => Validate.Valid(Tls(protocol, tls));

    [Fact]
    public void Check_GatewayOnlyFeatures_Rejected() =>
        Assert.Equal(
            [
                At(8, "spec.ingress[0].tls: server cannot have TLS settings for non HTTPS/TLS ports, got protocol \"HTTP\""),
                At(9, "spec.ingress[0].tls.mode: configuration is invalid: cannot set mode to ISTIO_MUTUAL in sidecar ingress tls"),
                At(10, "spec.ingress[0].tls.httpsRedirect: httpsRedirect is not supported"),
                At(11, "spec.ingress[0].tls.subjectAltNames: subjectAltNames is not supported in ingress tls"),
                At(12, "spec.ingress[0].tls.credentialName: credentialName is not currently supported"),
                At(12, "spec.ingress[0].tls.credentialName: ISTIO_MUTUAL TLS cannot have associated credentialName"),
            ],
            Validate.Errors(Header + """
                  ingress:
                  - port: {number: 9443, protocol: HTTP}
                    tls:
                      mode: ISTIO_MUTUAL
                      httpsRedirect: true
                      subjectAltNames: [a]
                      credentialName: secret
                """));

    [Fact]
    public void Check_SimpleWithoutCertificates_Rejected() =>
        Assert.Equal(
            [
                At(9, "spec.ingress[0].tls.serverCertificate: SIMPLE TLS requires a server certificate"),
                At(9, "spec.ingress[0].tls.privateKey: SIMPLE TLS requires a private key"),
            ],
            Validate.Errors(Tls("HTTPS", "mode: SIMPLE")));

    [Fact]
    public void Check_MutualWithoutCa_Rejected() =>
        Assert.Equal([At(9, "spec.ingress[0].tls.caCertificates: MUTUAL TLS requires a client CA bundle")], Validate.Errors(Tls("HTTPS", "mode: MUTUAL, serverCertificate: c, privateKey: k")));

    [Fact]
    public void Check_CrlWithSimple_Rejected() =>
        Assert.Equal([At(9, "spec.ingress[0].tls.caCrl: CRL is not supported with SIMPLE TLS")], Validate.Errors(Tls("HTTPS", "mode: SIMPLE, serverCertificate: c, privateKey: k, caCrl: crl")));

    [Fact]
    public void Check_OldTlsAndBadCiphers_Warns()
    {
        var yaml = Header + """
              ingress:
              - port: {number: 9443, protocol: HTTPS}
                tls:
                  mode: SIMPLE
                  serverCertificate: c
                  privateKey: k
                  minProtocolVersion: TLSV1_1
                  cipherSuites: [FOO-BAR, AES128-SHA, AES128-SHA, "-ALL"]
            """;

        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal(
            [
                Warning(13, "spec.ingress[0].tls.cipherSuites[0]: ignoring invalid cipher suite \"FOO-BAR\""),
                Warning(13, "spec.ingress[0].tls.cipherSuites[2]: ignoring duplicate cipher suite \"AES128-SHA\""),
            ],
            Validate.Warnings(yaml));
    }

    [Fact]
    public void Check_OldTlsWithoutCiphers_Warns()
    {
        var yaml = Tls("HTTPS", "mode: SIMPLE, serverCertificate: c, privateKey: k, minProtocolVersion: TLSV1_0");

        Assert.Equal([Warning(9, "spec.ingress[0].tls.minProtocolVersion: TLSV1_0 needs cipherSuites: the default ciphers no longer include ones compatible with TLS versions below TLSV1_2")], Validate.Warnings(yaml));
    }
}
