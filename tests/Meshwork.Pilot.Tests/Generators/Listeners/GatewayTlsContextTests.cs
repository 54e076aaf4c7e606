using Meshwork.Config.Networking;
using Meshwork.Pilot.Generators.Listeners;

namespace Meshwork.Pilot.Tests.Generators.Listeners;

public class GatewayTlsContextTests
{
    [Fact]
    public void Build_Simple_CertificateFilesAndNoClientCertificate()
    {
        var context = GatewayTlsContext.Build(new ServerTlsSettings { Mode = ServerTlsMode.Simple, ServerCertificate = "/c.pem", PrivateKey = "/k.pem" });

        var certificate = Assert.Single(context.CommonTlsContext.TlsCertificates);
        Assert.Equal(("/c.pem", "/k.pem"), (certificate.CertificateChain.Filename, certificate.PrivateKey.Filename));
        Assert.False(context.RequireClientCertificate);
        Assert.Null(context.CommonTlsContext.ValidationContext);
        Assert.Equal(["h2", "http/1.1"], context.CommonTlsContext.AlpnProtocols);
    }

    [Fact]
    public void Build_Mutual_RequiresClientCertificateSignedByTheCaFile()
    {
        var context = GatewayTlsContext.Build(new ServerTlsSettings
        {
            Mode = ServerTlsMode.Mutual,
            ServerCertificate = "/c.pem",
            PrivateKey = "/k.pem",
            CaCertificates = "/ca.pem",
            CaCrl = "/crl.pem",
            VerifyCertificateSpki = new[] { "spki" },
        });

        Assert.True(context.RequireClientCertificate);
        Assert.Equal("/ca.pem", context.CommonTlsContext.ValidationContext.TrustedCa.Filename);
        Assert.Equal("/crl.pem", context.CommonTlsContext.ValidationContext.Crl.Filename);
        Assert.Equal(["spki"], context.CommonTlsContext.ValidationContext.VerifyCertificateSpki);
    }

    [Fact]
    public void Build_CredentialName_CertificateFromSds()
    {
        var context = GatewayTlsContext.Build(new ServerTlsSettings { Mode = ServerTlsMode.Simple, CredentialName = "bookinfo-cert" });

        Assert.Empty(context.CommonTlsContext.TlsCertificates);
        Assert.Equal("kubernetes://bookinfo-cert", Assert.Single(context.CommonTlsContext.TlsCertificateSdsSecretConfigs).Name);
    }

    [Fact]
    public void Build_IstioMutual_WorkloadIdentityAndRootFromSds()
    {
        var context = GatewayTlsContext.Build(new ServerTlsSettings { Mode = ServerTlsMode.IstioMutual });

        Assert.True(context.RequireClientCertificate);
        Assert.Equal("default", Assert.Single(context.CommonTlsContext.TlsCertificateSdsSecretConfigs).Name);
        Assert.Equal("ROOTCA", context.CommonTlsContext.CombinedValidationContext.ValidationContextSdsSecretConfig.Name);
    }
}
