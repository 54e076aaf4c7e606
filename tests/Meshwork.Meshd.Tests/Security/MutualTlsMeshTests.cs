using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Meshwork.Meshd.Tests.DataPath;

namespace Meshwork.Meshd.Tests.Security;

/// <summary>
/// A mesh with mesh-wide STRICT mutual TLS (PeerAuthentication in istio-system): a server workload
/// ("web"), a TCP echo workload ("db", port 9000) and a client ("sleep"), each sidecar holding a
/// one-minute certificate from its agent.
/// </summary>
public sealed class StrictMesh : IAsyncLifetime
{
    private readonly List<string> _files = [];

    public MeshHarness Mesh { get; private set; } = null!;

    public ProxyProcess Server { get; private set; } = null!;

    public ProxyProcess Client { get; private set; } = null!;

    public ProxyProcess Db { get; private set; } = null!;

    private TcpEchoServer? _echo;

    public string RootFile => Path.Combine(Mesh.Meshd.CaDirectory, "root-cert.pem");

    public async Task InitializeAsync()
    {
        const string Strict = """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: istio-system}
            spec:
              mtls: {mode: STRICT}
            """;

        // Only sleep's identity may call web, and not on one path: every request of these tests is
        // authorized by the principal its sidecar's certificate proves.
        const string Principals = """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: web-callers, namespace: default}
            spec:
              selector: {matchLabels: {app: web}}
              action: ALLOW
              rules:
              - from: [{source: {principals: ["cluster.local/ns/default/sa/sleep"]}}]
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: web-private, namespace: default}
            spec:
              selector: {matchLabels: {app: web}}
              action: DENY
              rules:
              - from: [{source: {principals: ["cluster.local/ns/default/sa/sleep"]}}]
                to: [{operation: {paths: ["/private"]}}]
            """;
        Mesh = await MeshHarness.StartAsync(("services.yaml", HttpMeshes.Service("web", "app: web") + "---\n" + EdgeProtocolMesh.Service("db", 9000, "TCP")), ("strict.yaml", Strict), ("principals.yaml", Principals));
        var app = await Mesh.AddBackendAsync("web");
        _echo = TcpEchoServer.Start();
        Server = Start("web", "web", [$"9080=127.0.0.1:{app.Port}"], await TokenFileAsync("web"));
        Db = Start("db", "db", [$"9000=127.0.0.1:{_echo.Port}"], await TokenFileAsync("db"));
        Client = Start("sleep", "sleep", [], await TokenFileAsync("sleep"));
        await Mesh.WaitReadyAsync(Server);
        await Mesh.WaitReadyAsync(Db);
        await Mesh.WaitReadyAsync(Client);
        await MeshHarness.UntilAsync(Client, Get, (r, _) => r.StatusCode == HttpStatusCode.OK, "sleep → web over mutual TLS");
    }

    public async Task DisposeAsync()
    {
        await Mesh.DisposeAsync();
        if (_echo != null)
        {
            await _echo.DisposeAsync();
        }

        foreach (var file in _files)
        {
            File.Delete(file);
        }
    }

    public static HttpRequestMessage Get() => new(HttpMethod.Get, "http://web.default.svc.cluster.local:9080/hello");

    /// <summary>The serial of the workload certificate the proxy holds now (its /certs).</summary>
    public static async Task<string?> SerialAsync(ProxyProcess proxy)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var certs = JsonDocument.Parse(await http.GetStringAsync(proxy.Admin("/certs")));
        var list = certs.RootElement.GetProperty("certificates");
        if (list.GetArrayLength() == 0 || list[0].GetProperty("cert_chain").GetArrayLength() == 0)
        {
            return null;
        }

        return list[0].GetProperty("cert_chain")[0].GetProperty("serial_number").GetString();
    }

    private ProxyProcess Start(string workload, string serviceAccount, string[] inbound, string token)
    {
        var proxy = ProxyProcess.Start(Mesh.Meshd.XdsPort, workload, "default", Mesh.NextIp(), $"app={workload}", serviceAccount, inbound, "sidecar",
            "--ca-address", $"127.0.0.1:{Mesh.Meshd.SecurePort}", "--token-file", token, "--ca-root-cert", RootFile, "--cert-ttl", "1m");
        Mesh.Own(proxy);
        return proxy;
    }

    private async Task<string> TokenFileAsync(string serviceAccount)
    {
        var (exit, token) = await MeshdProcess.RunToolAsync("meshctl.dll", "token", "create", "--ca-dir", Mesh.Meshd.CaDirectory, "--namespace", "default", "--service-account", serviceAccount);
        Assert.True(exit == 0, token);
        var file = Path.Combine(Path.GetTempPath(), $"meshwork-token-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(file, token.Trim());
        _files.Add(file);
        return file;
    }
}

/// <summary>Istio's promise under STRICT: every hop is mutual TLS with verified identities, and nothing else gets in.</summary>
public sealed class MutualTlsMeshTests(StrictMesh mesh) : IClassFixture<StrictMesh>
{
    private IPEndPoint ServerInbound => new(IPAddress.Parse(mesh.Server.Ip), 9080);

    [Fact]
    public async Task Request_ClientSidecarToServer_OverMutualTls_TheAppSeesTheClientsIdentity()
    {
        using var http = mesh.Client.AppClient(TimeSpan.FromSeconds(10));
        var request = StrictMesh.Get();
        request.Headers.Add("x-forwarded-client-cert", "By=spiffe://cluster.local/ns/default/sa/web;URI=spiffe://cluster.local/ns/default/sa/admin");

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var xfcc = HttpMeshes.EchoedHeader(body, "x-forwarded-client-cert");
        Assert.NotNull(xfcc);
        // One element, the true one: the forged header the app sent was dropped by its own sidecar.
        Assert.DoesNotContain(",", xfcc);
        Assert.Contains("By=spiffe://cluster.local/ns/default/sa/web", xfcc);
        Assert.Contains("URI=spiffe://cluster.local/ns/default/sa/sleep", xfcc);
        Assert.DoesNotContain("sa/admin", xfcc);
    }

    [Fact]
    public async Task AuthorizationPolicy_SourcePrincipals_MatchTheIdentityTheClientSidecarProves()
    {
        using var http = mesh.Client.AppClient(TimeSpan.FromSeconds(10));

        // ALLOW from principal sleep admits the fixture's requests (every test here relies on it);
        // DENY from principal sleep on /private refuses this one.
        using var allowed = await http.SendAsync(StrictMesh.Get());
        using var denied = await http.GetAsync("http://web.default.svc.cluster.local:9080/private");

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("RBAC: access denied", await denied.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Plaintext_ToTheStrictServerPort_IsRefused()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetAsync($"http://{ServerInbound}/hello"));
    }

    [Fact]
    public async Task ClientCertificateFromAnotherCa_IsRefused()
    {
        var certs = Path.Combine(MeshdProcess.SharedSamples, "security", "certs");
        using var foreign = X509Certificate2.CreateFromPemFile(Path.Combine(certs, "workload-foo-cert.pem"), Path.Combine(certs, "workload-foo-key.pem"));

        Assert.False(await HandshakeServesAsync(foreign), "a certificate from Istio's sample CA (trust-domain-foo) was accepted");
    }

    [Fact]
    public async Task ExpiredCertificateFromTheMeshCa_IsRefused()
    {
        // Issued by the mesh CA for one second from the CA's own start, so it has expired by the handshake.
        var caStart = new DateTimeOffset(X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(mesh.Mesh.Meshd.CaDirectory, "ca-cert.pem"))).NotBefore.ToUniversalTime());
        using var expired = MeshCertificate("spiffe://cluster.local/ns/default/sa/sleep", caStart, caStart.AddSeconds(1));
        await MeshHarness.Eventually(() => Task.FromResult(DateTimeOffset.UtcNow > caStart.AddSeconds(2)), "the certificate to expire", () => string.Empty);

        Assert.False(await HandshakeServesAsync(expired), "an expired mesh certificate was accepted");
    }

    [Fact]
    public async Task ValidMeshCertificate_IsServed_SoTheRefusalsAboveAreAboutTheCertificate()
    {
        using var valid = MeshCertificate("spiffe://cluster.local/ns/default/sa/sleep", DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1));

        Assert.True(await HandshakeServesAsync(valid), "a valid mesh certificate was refused");
    }

    [Fact]
    public async Task Rotation_OneMinuteCertificates_BothSidesRotateWithZeroFailedRequests()
    {
        var serverFirst = await StrictMesh.SerialAsync(mesh.Server);
        var clientFirst = await StrictMesh.SerialAsync(mesh.Client);
        Assert.NotNull(serverFirst);
        Assert.NotNull(clientFirst);
        using var http = mesh.Client.AppClient(TimeSpan.FromSeconds(10));
        var sent = 0;
        var failures = new List<string>();
        var deadline = DateTime.UtcNow.AddSeconds(110);
        string? serverNow = serverFirst, clientNow = clientFirst;

        // New connections after each rotation: the pools are left to reuse or reopen as they will.
        while ((serverNow == serverFirst || clientNow == clientFirst) && DateTime.UtcNow < deadline)
        {
            using var response = await http.SendAsync(StrictMesh.Get());
            sent++;
            if (response.StatusCode != HttpStatusCode.OK)
            {
                failures.Add($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }

            serverNow = await StrictMesh.SerialAsync(mesh.Server);
            clientNow = await StrictMesh.SerialAsync(mesh.Client);
        }

        Assert.True(serverNow != serverFirst && clientNow != clientFirst, $"no rotation within 110 s (server {serverNow}, client {clientNow})\n{mesh.Server.Output}");
        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} requests failed: {string.Join("; ", failures.Take(5))}");
        Assert.True(sent > 10, $"only {sent} requests sent");
    }

    /// <summary>True when a TLS client with <paramref name="certificate"/> gets an HTTP answer from the server's STRICT inbound port.</summary>
    private async Task<bool> HandshakeServesAsync(X509Certificate2 certificate)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(ServerInbound);
        await using var tls = new SslStream(tcp.GetStream());
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "web.default.svc.cluster.local",
                ClientCertificates = [certificate],
                ApplicationProtocols = [new SslApplicationProtocol("istio-peer-exchange"), new SslApplicationProtocol("istio")],
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            });
            await tls.WriteAsync("GET /hello HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n"u8.ToArray());
            var buffer = new byte[64];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var read = await tls.ReadAsync(buffer, timeout.Token);
            return read > 0 && System.Text.Encoding.ASCII.GetString(buffer, 0, read).StartsWith("HTTP/1.1 200", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>A client certificate signed by meshd's own CA (its ca-key.pem) for <paramref name="uri"/>, valid in the given window.</summary>
    private X509Certificate2 MeshCertificate(string uri, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var caCert = X509Certificate2.CreateFromPemFile(Path.Combine(mesh.Mesh.Meshd.CaDirectory, "ca-cert.pem"), Path.Combine(mesh.Mesh.Meshd.CaDirectory, "ca-key.pem"));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("O=meshwork-test", key, HashAlgorithmName.SHA256);
        var sans = new SubjectAlternativeNameBuilder();
        sans.AddUri(new Uri(uri));
        request.CertificateExtensions.Add(sans.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2"), new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issued = request.Create(caCert, notBefore, notAfter, RandomNumberGenerator.GetBytes(16));
        return X509CertificateLoader.LoadPkcs12(issued.CopyWithPrivateKey(key).Export(X509ContentType.Pkcs12), null);
    }
}
