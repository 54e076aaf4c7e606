using Meshwork.Config.Tests.Support;
using static Meshwork.Config.Tests.Validation.Networking.DestinationRuleYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class TrafficPolicyTlsRuleTests
{
    private static string Tls(string settings) => Header + $"  host: reviews\n  trafficPolicy:\n    tls: {{{settings}}}\n";

    [Theory]
    [InlineData("mode: DISABLE")]
    [InlineData("mode: SIMPLE")]
    [InlineData("mode: SIMPLE, credentialName: some-credential")]
    [InlineData("mode: MUTUAL, credentialName: some-credential")]
    [InlineData("mode: MUTUAL, clientCertificate: cert, privateKey: key")]
    [InlineData("mode: SIMPLE, insecureSkipVerify: true")]
    [InlineData("mode: MUTUAL, insecureSkipVerify: true, credentialName: c")]
    [InlineData("mode: SIMPLE, credentialName: \"configmap://ca-bundle\"")]
    [InlineData("mode: SIMPLE, credentialName: \"configmap://default/ca-bundle\"")]
    public void Check_ValidSettings_Accepted(string settings) => Validate.Valid(Tls(settings));

    [Theory]
    [InlineData("mode: SIMPLE, credentialName: credential, clientCertificate: cert")]
    [InlineData("mode: SIMPLE, credentialName: credential, privateKey: key")]
    [InlineData("mode: SIMPLE, credentialName: credential, caCertificates: ca")]
    [InlineData("mode: MUTUAL, credentialName: credential, caCrl: crl")]
    public void Check_CredentialNameWithFiles_Rejected(string settings) =>
        Assert.Equal([At(8, "spec.trafficPolicy.tls.credentialName: cannot specify client certificates or CA certificate or CA CRL If credentialName is set")], Validate.Errors(Tls(settings)));

    [Fact]
    public void Check_MutualWithoutCertificateAndKey_Rejected() =>
        Assert.Equal(
            [
                At(8, "spec.trafficPolicy.tls.clientCertificate: client certificate required for mutual tls"),
                At(8, "spec.trafficPolicy.tls.privateKey: private key required for mutual tls"),
            ],
            Validate.Errors(Tls("mode: MUTUAL")));

    [Theory]
    [InlineData("mode: SIMPLE, insecureSkipVerify: true, caCertificates: ca", "cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true")]
    [InlineData("mode: SIMPLE, insecureSkipVerify: true, subjectAltNames: [a]", "cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true")]
    [InlineData("mode: MUTUAL, insecureSkipVerify: true, subjectAltNames: [a], clientCertificate: c, privateKey: k", "cannot specify CaCertificates or SubjectAltNames when InsecureSkipVerify is set true")]
    public void Check_InsecureSkipVerifyWithVerification_Rejected(string settings, string message) =>
        Assert.Equal([At(8, "spec.trafficPolicy.tls.insecureSkipVerify: " + message)], Validate.Errors(Tls(settings)));

    [Fact]
    public void Check_ConfigMapInOtherNamespace_Rejected() =>
        Assert.Equal(
            [At(8, "spec.trafficPolicy.tls.credentialName: invalid configmap:// credentialName: namespace must match the configuration namespace \"default\", got \"istio-system\"")],
            Validate.Errors(Tls("mode: SIMPLE, credentialName: \"configmap://istio-system/ca\"")));

    [Fact]
    public void Check_IstioMutualWithCertificates_WarnsIgnored()
    {
        var yaml = Header + """
              host: reviews
              trafficPolicy:
                tls:
                  mode: ISTIO_MUTUAL
                  clientCertificate: /etc/certs/cert.pem
                  sni: reviews.default
            """;

        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal([Warning(10, "spec.trafficPolicy.tls.clientCertificate: ignored with ISTIO_MUTUAL, which always uses the workload's Istio certificates")], Validate.Warnings(yaml));
    }

    [Fact]
    public void Check_PortLevelTls_Checked() =>
        Assert.Equal([At(10, "spec.trafficPolicy.portLevelSettings[0].tls.privateKey: private key required for mutual tls")], Validate.Errors(Header + """
              host: reviews
              trafficPolicy:
                portLevelSettings:
                - port: {number: 443}
                  tls: {mode: MUTUAL, clientCertificate: cert}
            """));
}
