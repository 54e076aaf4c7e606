using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Envoy.Config.Core.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Envoy.Type.Matcher.V3;
using Meshwork.Proxy.Connections;
using TlsCertificate = Envoy.Extensions.TransportSockets.Tls.V3.TlsCertificate;

namespace Meshwork.Proxy.Tests.Connections;

public sealed class DownstreamTlsTests : IDisposable
{
    private const string Where = "listener \"l\": c";
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Compile_CredentialNameThroughSds_AcceptedButEveryHandshakeRefused()
    {
        var context = new DownstreamTlsContext { CommonTlsContext = new CommonTlsContext { TlsCertificateSdsSecretConfigs = { new SdsSecretConfig { Name = "kubernetes://bookinfo-cred" } } } };

        var tls = DownstreamTls.Compile(context, Where, ["h2"]);

        Assert.False(tls.TryCreateOptions("bookinfo.example.com", null, out _, out var refusal));
        Assert.Contains("kubernetes://bookinfo-cred", refusal);
    }

    [Fact]
    public void Compile_RequireClientCertificateWithoutValidationContext_IsRefused()
    {
        var context = Context(Certificate(["a.test"]));
        context.RequireClientCertificate = true;

        var error = Assert.Throws<ProxyConfigException>(() => DownstreamTls.Compile(context, Where, []));
        Assert.Equal("listener \"l\": c: require_client_certificate needs a validation_context to check the certificate against", error.Message);
    }

    [Fact]
    public void Compile_TlsParams_MapVersionsAndBoringSslCipherNames()
    {
        var context = Context(Certificate(["a.test"]));
        context.CommonTlsContext.TlsParams = new TlsParameters
        {
            TlsMinimumProtocolVersion = TlsParameters.Types.TlsProtocol.Tlsv12,
            CipherSuites = { "[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]", "ECDHE-RSA-AES256-GCM-SHA384" },
        };

        var tls = DownstreamTls.Compile(context, Where, []);

        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, tls.EnabledProtocols);
    }

    [Fact]
    public void Compile_UnknownCipherOrInvertedVersions_NameTheField()
    {
        var cipher = Context(Certificate(["a.test"]));
        cipher.CommonTlsContext.TlsParams = new TlsParameters { CipherSuites = { "NOT-A-CIPHER" } };
        var versions = Context(Certificate(["a.test"]));
        versions.CommonTlsContext.TlsParams = new TlsParameters { TlsMinimumProtocolVersion = TlsParameters.Types.TlsProtocol.Tlsv13, TlsMaximumProtocolVersion = TlsParameters.Types.TlsProtocol.Tlsv12 };

        Assert.Equal("listener \"l\": c: common_tls_context.tls_params.cipher_suites \"NOT-A-CIPHER\": unknown cipher suite", Assert.Throws<ProxyConfigException>(() => DownstreamTls.Compile(cipher, Where, [])).Message);
        Assert.StartsWith("listener \"l\": c: common_tls_context.tls_params: tls_minimum_protocol_version", Assert.Throws<ProxyConfigException>(() => DownstreamTls.Compile(versions, Where, [])).Message);
    }

    [Fact]
    public void Compile_MissingTrustedCaFile_NamesThePath()
    {
        var context = Context(Certificate(["a.test"]));
        context.CommonTlsContext.ValidationContext = new CertificateValidationContext { TrustedCa = new DataSource { Filename = "/nonexistent/ca.crt" } };

        var error = Assert.Throws<ProxyConfigException>(() => DownstreamTls.Compile(context, Where, []));
        Assert.StartsWith("listener \"l\": c: common_tls_context.validation_context.trusted_ca: cannot read \"/nonexistent/ca.crt\"", error.Message);
    }

    [Fact]
    public async Task Handshake_TwoCertificates_ServesTheOneCoveringTheSni()
    {
        var first = TestCertificates.CreateLeaf(["first.test"]);
        var second = TestCertificates.CreateLeaf(["*.second.test"]);
        var context = Context(Certificate(first), Certificate(second));
        var tls = DownstreamTls.Compile(context, Where, []);

        Assert.Equal(second.Thumbprint, (await HandshakeAsync(tls, "api.second.test", null)).ServerCertificate);
        Assert.Equal(first.Thumbprint, (await HandshakeAsync(tls, "other.test", null)).ServerCertificate);
    }

    [Fact]
    public async Task Handshake_Mutual_RequiresACaSignedClientWithTheSan()
    {
        var ca = TestCertificates.CreateCa();
        var context = Context(Certificate(["secure.test"]));
        context.RequireClientCertificate = true;
        context.CommonTlsContext.ValidationContext = new CertificateValidationContext
        {
            TrustedCa = new DataSource { Filename = TestCertificates.WriteCaPem(ca, _directory.Path, "ca") },
            MatchTypedSubjectAltNames = { new SubjectAltNameMatcher { SanType = SubjectAltNameMatcher.Types.SanType.Uri, Matcher = new StringMatcher { Exact = "spiffe://cluster.local/ns/default/sa/client" } } },
        };
        var tls = DownstreamTls.Compile(context, Where, ["h2", "http/1.1"]);

        var good = TestCertificates.CreateLeaf([], ca, ["spiffe://cluster.local/ns/default/sa/client"], client: true);
        var wrongSan = TestCertificates.CreateLeaf([], ca, ["spiffe://cluster.local/ns/default/sa/other"], client: true);
        var wrongCa = TestCertificates.CreateLeaf([], TestCertificates.CreateCa("other CA"), ["spiffe://cluster.local/ns/default/sa/client"], client: true);

        Assert.True((await HandshakeAsync(tls, "secure.test", good)).Accepted);
        Assert.False((await HandshakeAsync(tls, "secure.test", wrongSan)).Accepted);
        Assert.False((await HandshakeAsync(tls, "secure.test", wrongCa)).Accepted);
        Assert.False((await HandshakeAsync(tls, "secure.test", null)).Accepted);
    }

    private static DownstreamTlsContext Context(params TlsCertificate[] certificates) =>
        new() { CommonTlsContext = new CommonTlsContext { TlsCertificates = { certificates } } };

    private TlsCertificate Certificate(string[] names) => Certificate(TestCertificates.CreateLeaf(names));

    private TlsCertificate Certificate(X509Certificate2 certificate)
    {
        var (chain, key) = TestCertificates.WritePem(certificate, _directory.Path, certificate.Thumbprint);
        return new TlsCertificate { CertificateChain = new DataSource { Filename = chain }, PrivateKey = new DataSource { InlineString = File.ReadAllText(key) } };
    }

    /// <summary>One handshake over loopback; judged by the server side, since a TLS 1.3 client learns of a refused certificate only later.</summary>
    private static async Task<(bool Accepted, string? ServerCertificate)> HandshakeAsync(DownstreamTls tls, string serverName, X509Certificate2? clientCertificate)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var clientSocket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var accept = listener.AcceptSocketAsync();
        await clientSocket.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
        using var serverSocket = await accept.WaitAsync(Guard);
        await using var server = new SslStream(new NetworkStream(serverSocket));
        await using var client = new SslStream(new NetworkStream(clientSocket));
        Assert.True(tls.TryCreateOptions(serverName, null, out var options, out _));

        var serverSide = server.AuthenticateAsServerAsync(options);
        var clientSide = client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = serverName,
            ClientCertificates = clientCertificate == null ? null : [clientCertificate],
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });
        try
        {
            await serverSide.WaitAsync(Guard);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            return (false, null);
        }

        await clientSide.WaitAsync(Guard);
        return (true, (client.RemoteCertificate as X509Certificate2)?.Thumbprint ?? X509CertificateLoader.LoadCertificate(client.RemoteCertificate!.GetRawCertData()).Thumbprint);
    }
}
