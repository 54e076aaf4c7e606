using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Networking;

/// <summary>Server TLS settings and their fit with the port protocol; cases follow Istio's TestValidateTlsOptions and TestValidateServer.</summary>
public class GatewayServerTlsRuleTests
{
    /// <summary>A gateway whose only server uses <paramref name="protocol"/> and the TLS block <paramref name="tls"/> (lines from 10 on).</summary>
    private static string Gateway(string tls, string protocol = "HTTPS") => $$"""
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata:
          name: gw
        spec:
          servers:
          - port: {number: 443, name: https, protocol: {{protocol}}}
            hosts: ["foo.bar.com"]
            tls:
        {{tls}}
        """;

    private const string Prefix = "Gateway default/gw: spec.servers[0]";

    [Theory]
    [InlineData("      mode: SIMPLE\n      serverCertificate: /etc/certs/server.pem\n      privateKey: /etc/certs/key.pem")]
    [InlineData("      mode: SIMPLE\n      serverCertificate: /c\n      privateKey: /k\n      caCertificates: /ca")]
    [InlineData("      mode: SIMPLE\n      credentialName: sds-name")]
    [InlineData("      mode: SIMPLE\n      credentialName: sds-name\n      privateKey: /k")]
    [InlineData("      mode: SIMPLE\n      credentialName: credential\n      caCrl: /crl")]
    [InlineData("      mode: MUTUAL\n      serverCertificate: /c\n      privateKey: /k\n      caCertificates: /ca")]
    [InlineData("      mode: MUTUAL\n      caCertificates: /ca\n      credentialName: sds-name")]
    [InlineData("      mode: MUTUAL\n      credentialNames: [credential1, credential2]")]
    [InlineData("      mode: MUTUAL\n      caCertificates: /ca\n      tlsCertificates:\n      - serverCertificate: /c\n        privateKey: /k")]
    [InlineData("      mode: OPTIONAL_MUTUAL\n      credentialName: sds-name")]
    [InlineData("      mode: ISTIO_MUTUAL")]
    [InlineData("      mode: PASSTHROUGH")]
    [InlineData("      mode: AUTO_PASSTHROUGH")]
    [InlineData("      mode: SIMPLE\n      credentialName: sds-name\n      cipherSuites: [ECDHE-ECDSA-AES128-SHA, -ECDHE-RSA-AES128-SHA]")]
    public void Check_SettingsIstioAccepts_AreValid(string tls)
    {
        var yaml = Gateway(tls);
        Assert.Empty(Validate.Errors(yaml));
        Assert.Empty(Validate.Warnings(yaml));
    }

    [Fact]
    public void Check_SimpleWithoutCertificates_ReportsCertificateAndKey() =>
        Assert.Equal(
            [
                $"test.yaml:9: {Prefix}.tls.serverCertificate: SIMPLE TLS requires a server certificate",
                $"test.yaml:9: {Prefix}.tls.privateKey: SIMPLE TLS requires a private key",
            ],
            Validate.Errors(Gateway("      mode: SIMPLE")));

    [Fact]
    public void Check_MutualWithoutAnything_ReportsCaCertificateAndKey() =>
        Assert.Equal(
            [
                $"test.yaml:9: {Prefix}.tls.caCertificates: MUTUAL TLS requires a client CA bundle",
                $"test.yaml:9: {Prefix}.tls.serverCertificate: MUTUAL TLS requires a server certificate",
                $"test.yaml:9: {Prefix}.tls.privateKey: MUTUAL TLS requires a private key",
            ],
            Validate.Errors(Gateway("      mode: MUTUAL")));

    [Fact]
    public void Check_OptionalMutualWithoutCaBundle_ReportsMutualMessage() =>
        Assert.Equal(
            [$"test.yaml:9: {Prefix}.tls.caCertificates: MUTUAL TLS requires a client CA bundle"],
            Validate.Errors(Gateway("      mode: OPTIONAL_MUTUAL\n      serverCertificate: /c\n      privateKey: /k")));

    [Fact]
    public void Check_CredentialNameAndCertificate_ReportsOneSourceOnly() =>
        Assert.Equal(
            [$"test.yaml:9: {Prefix}.tls: only one of credentialName, credentialNames, serverCertificate/privateKey, tlsCertificates should be specified, got credentialName and serverCertificate/privateKey"],
            Validate.Errors(Gateway("      mode: SIMPLE\n      serverCertificate: /c\n      privateKey: /k\n      credentialName: sds-name")));

    [Fact]
    public void Check_CredentialNamesAndTlsCertificates_ReportsOneSourceOnly() =>
        Assert.Equal(
            [$"test.yaml:9: {Prefix}.tls: only one of credentialName, credentialNames, serverCertificate/privateKey, tlsCertificates should be specified, got credentialNames and tlsCertificates"],
            Validate.Errors(Gateway("      mode: MUTUAL\n      credentialNames: [server-certs]\n      tlsCertificates:\n      - serverCertificate: /c\n        privateKey: /k\n        caCertificates: /ca2")));

    [Fact]
    public void Check_TlsCertificateWithoutKey_ReportsAtThatCertificate() =>
        Assert.Equal(
            [$"test.yaml:14: {Prefix}.tls.tlsCertificates[1].privateKey: SIMPLE TLS requires a private key"],
            Validate.Errors(Gateway("      mode: SIMPLE\n      tlsCertificates:\n      - serverCertificate: /c1\n        privateKey: /k1\n      - serverCertificate: /c2")));

    [Fact]
    public void Check_ThreeTlsCertificates_Warns()
    {
        var yaml = Gateway("      mode: SIMPLE\n      tlsCertificates:\n      - {serverCertificate: /a, privateKey: /a}\n      - {serverCertificate: /b, privateKey: /b}\n      - {serverCertificate: /c, privateKey: /c}");
        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal([$"test.yaml:11: warning: {Prefix}.tls.tlsCertificates: SIMPLE TLS can support up to 2 server certificates, got 3"], Validate.Warnings(yaml));
    }

    [Fact]
    public void Check_IstioMutualWithCertificateFields_ReportsEach() =>
        Assert.Equal(
            [
                $"test.yaml:11: {Prefix}.tls.serverCertificate: ISTIO_MUTUAL TLS cannot have associated server certificate",
                $"test.yaml:12: {Prefix}.tls.privateKey: ISTIO_MUTUAL TLS cannot have associated private key",
                $"test.yaml:13: {Prefix}.tls.caCertificates: ISTIO_MUTUAL TLS cannot have associated CA bundle",
                $"test.yaml:14: {Prefix}.tls.credentialName: ISTIO_MUTUAL TLS cannot have associated credentialName",
            ],
            Validate.Errors(Gateway("      mode: ISTIO_MUTUAL\n      serverCertificate: /c\n      privateKey: /k\n      caCertificates: /ca\n      credentialName: cred")));

    [Fact]
    public void Check_PassthroughWithCredential_WarnsCertificatesIgnored()
    {
        var yaml = Gateway("      mode: PASSTHROUGH\n      credentialName: sds-name");
        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal([$"test.yaml:10: warning: {Prefix}.tls.mode: PASSTHROUGH mode does not use certificates, they will be ignored"], Validate.Warnings(yaml));
    }

    [Fact]
    public void Check_PassthroughWithCrlAndCredential_ReportsCrlError() =>
        Assert.Equal(
            [$"test.yaml:11: {Prefix}.tls.caCrl: CRL is not supported with credentialName. CRL has to be specified in the credential"],
            Validate.Errors(Gateway("      mode: PASSTHROUGH\n      caCrl: /crl\n      credentialName: sds-name")));

    [Fact]
    public void Check_CrlWithSimple_ReportsError() =>
        Assert.Equal(
            [
                $"test.yaml:9: {Prefix}.tls.serverCertificate: SIMPLE TLS requires a server certificate",
                $"test.yaml:9: {Prefix}.tls.privateKey: SIMPLE TLS requires a private key",
                $"test.yaml:11: {Prefix}.tls.caCrl: CRL is not supported with SIMPLE TLS",
            ],
            Validate.Errors(Gateway("      mode: SIMPLE\n      caCrl: crl")));

    [Fact]
    public void Check_InvalidAndDuplicateCipherSuites_Warn()
    {
        var yaml = Gateway("      mode: SIMPLE\n      credentialName: sds-name\n      cipherSuites:\n      - not-a-cipher-suite\n      - ECDHE-ECDSA-AES128-SHA\n      - ECDHE-ECDSA-AES128-SHA");
        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal(
            [
                $"test.yaml:13: warning: {Prefix}.tls.cipherSuites[0]: ignoring invalid cipher suite \"not-a-cipher-suite\"",
                $"test.yaml:15: warning: {Prefix}.tls.cipherSuites[2]: ignoring duplicate cipher suite \"ECDHE-ECDSA-AES128-SHA\"",
            ],
            Validate.Warnings(yaml));
    }

    [Fact]
    public void Check_OldMinVersionWithoutCiphers_Warns()
    {
        var yaml = Gateway("      mode: SIMPLE\n      credentialName: sds-name\n      minProtocolVersion: TLSV1_1");
        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal([$"test.yaml:12: warning: {Prefix}.tls.minProtocolVersion: TLSV1_1 needs cipherSuites: the default ciphers no longer include ones compatible with TLS versions below TLSV1_2"], Validate.Warnings(yaml));
    }

    [Fact]
    public void Check_MinVersionAboveMax_Warns()
    {
        var yaml = Gateway("      mode: SIMPLE\n      credentialName: sds-name\n      minProtocolVersion: TLSV1_3\n      maxProtocolVersion: TLSV1_2");
        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal([$"test.yaml:13: warning: {Prefix}.tls.maxProtocolVersion: maxProtocolVersion TLSV1_2 is below minProtocolVersion TLSV1_3: no TLS version can be negotiated"], Validate.Warnings(yaml));
    }

    [Fact]
    public void Check_HttpsWithoutTls_ReportsError()
    {
        var yaml = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata:
              name: gw
            spec:
              servers:
              - port: {number: 10000, name: https, protocol: https}
                hosts: ["foo.bar.com"]
            """;
        Assert.Equal([$"test.yaml:7: {Prefix}: server must have TLS settings for HTTPS/TLS protocols, got protocol https without tls"], Validate.Errors(yaml));
    }

    [Fact]
    public void Check_HttpWithSimpleTls_ReportsPlainTextError() =>
        Assert.Equal(
            [$"test.yaml:9: {Prefix}.tls: server cannot have TLS settings for plain text HTTP ports (only httpsRedirect)"],
            Validate.Errors(Gateway("      mode: SIMPLE\n      credentialName: sds-name", protocol: "HTTP")));

    [Fact]
    public void Check_TcpWithTls_ReportsNonTlsPortError() =>
        Assert.Equal(
            [$"test.yaml:9: {Prefix}.tls: server cannot have TLS settings for non HTTPS/TLS ports, got protocol TCP"],
            Validate.Errors(Gateway("      mode: PASSTHROUGH", protocol: "TCP")));

    [Fact]
    public void Check_HttpsRedirectOnHttp_IsValid()
    {
        var yaml = Gateway("      httpsRedirect: true", protocol: "HTTP");
        Assert.Empty(Validate.Errors(yaml));
        Assert.Empty(Validate.Warnings(yaml));
    }

    [Fact]
    public void Check_HttpsRedirectOnHttps_WarnsAndRequiresCertificates()
    {
        // Istio's "invalid https httpsRedirect": PASSTHROUGH is the default mode, so only the warning remains.
        var yaml = Gateway("      httpsRedirect: true", protocol: "https");
        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal([$"test.yaml:10: warning: {Prefix}.tls.httpsRedirect: should only be used with HTTP servers, got protocol https"], Validate.Warnings(yaml));
    }

    [Fact]
    public void Check_InvalidPort_SkipsProtocolTlsCheck()
    {
        var yaml = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata:
              name: gw
            spec:
              servers:
              - port: {number: 443, protocol: HTTPS}
                hosts: ["foo.bar.com"]
            """;
        Assert.Equal([$"test.yaml:7: {Prefix}.port.name: port name must be set"], Validate.Errors(yaml));
    }
}
