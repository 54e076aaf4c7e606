using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>
/// An ingress gateway (mesh-proxy --role gateway, labels istio=ingressgateway) with one Gateway:
/// HTTP on 8080, HTTPS terminated on 8443 with a certificate from files, TLS passthrough on 8444;
/// behind it "web" (a TestBackend, HTTP 9080) and "secure" (an HTTPS app with its own certificate,
/// TLS 9443).
/// </summary>
public sealed class EdgeGatewayMesh : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];

    public MeshHarness Mesh { get; private set; } = null!;

    public ProxyProcess Gateway { get; private set; } = null!;

    public TestCertificate GatewayCertificate { get; } = TestCertificate.Create("web.example.com");

    public TestCertificate BackendCertificate { get; } = TestCertificate.Create("secure.example.com");

    public async Task InitializeAsync()
    {
        var config = $$$"""
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: edge-gw, namespace: default}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 8080, name: http, protocol: HTTP}
                hosts: ["*"]
              - port: {number: 8443, name: https, protocol: HTTPS}
                hosts: [web.example.com]
                tls: {mode: SIMPLE, serverCertificate: {{{GatewayCertificate.CertificateFile}}}, privateKey: {{{GatewayCertificate.KeyFile}}}}
              - port: {number: 8444, name: tls, protocol: TLS}
                hosts: [secure.example.com]
                tls: {mode: PASSTHROUGH}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: web, namespace: default}
            spec:
              hosts: [web.example.com]
              gateways: [edge-gw]
              http:
              - route:
                - destination: {host: web.default.svc.cluster.local, port: {number: 9080}}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: secure, namespace: default}
            spec:
              hosts: [secure.example.com]
              gateways: [edge-gw]
              tls:
              - match: [{port: 8444, sniHosts: [secure.example.com]}]
                route:
                - destination: {host: secure.default.svc.cluster.local, port: {number: 9443}}
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: ingress-deny, namespace: default}
            spec:
              selector: {matchLabels: {istio: ingressgateway}}
              action: DENY
              rules:
              # Scoped to the HTTP ports: on TCP servers a DENY ignores its HTTP-only fields (fail closed).
              - to: [{operation: {ports: ["8080", "8443"], paths: ["/admin/*"]}}]
              - from: [{source: {ipBlocks: ["127.0.0.10/32"]}}]

            """;
        Mesh = await MeshHarness.StartAsync(
            ("services.yaml", EdgeProtocolMesh.Service("web", 9080, "HTTP") + "---\n" + EdgeProtocolMesh.Service("secure", 9443, "TLS")),
            ("gateway.yaml", config));
        await Mesh.AddWorkloadAsync("web", "default", "app=web");
        var secureApp = await EdgeApp.StartAsync("secure", HttpProtocols.Http1, BackendCertificate.Certificate);
        _owned.Add(secureApp);
        var secure = await EdgeProtocolMesh.StartSidecarAsync(Mesh, _owned, "secure", "app=secure", $"9443=127.0.0.1:{secureApp.Port}");
        Gateway = await Mesh.AddClientAsync("istio-ingressgateway", "default", "istio=ingressgateway", role: "gateway");
        foreach (var port in new[] { 8080, 8443, 8444 })
        {
            await EdgeProtocolMesh.WaitBoundAsync(Mesh, Gateway, $"{Gateway.Ip}:{port}");
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        await Mesh.DisposeAsync();
        GatewayCertificate.Dispose();
        BackendCertificate.Dispose();
    }
}

/// <summary>Istio's ingress gateway tasks through a real gateway proxy.</summary>
public sealed class EdgeGatewayTests(EdgeGatewayMesh mesh) : IClassFixture<EdgeGatewayMesh>
{
    /// <summary>A client whose connections go to the gateway's <paramref name="port"/> from 127.0.0.9, whatever host the URL names (so Host and SNI can be a public name).</summary>
    private HttpClient GatewayClient(int port, Func<X509Certificate2?, bool>? acceptCertificate = null, string from = "127.0.0.9") => new(new SocketsHttpHandler
    {
        ConnectCallback = async (_, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            socket.Bind(new IPEndPoint(IPAddress.Parse(from), 0));
            await socket.ConnectAsync(IPAddress.Parse(mesh.Gateway.Ip), port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        },
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) => acceptCertificate?.Invoke(certificate as X509Certificate2) ?? false,
        },
    })
    {
        Timeout = TimeSpan.FromSeconds(10),
    };

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, string url, params (string Name, string Value)[] headers)
    {
        HttpResponseMessage? response = null;
        var body = string.Empty;
        await MeshHarness.Eventually(
            async () =>
            {
                response?.Dispose();
                var request = new HttpRequestMessage(HttpMethod.Get, url);
                foreach (var (name, value) in headers)
                {
                    request.Headers.Add(name, value);
                }

                response = await http.SendAsync(request);
                body = await response.Content.ReadAsStringAsync();
                return response.StatusCode == HttpStatusCode.OK;
            },
            url,
            () => $"{(int?)response?.StatusCode} {body}");
        response!.Dispose();
        return JsonDocument.Parse(body).RootElement;
    }

    [Fact]
    public async Task Gateway_HttpServerWithBoundVirtualService_RoutesByHostAndAppendsForwardedFor()
    {
        using var http = GatewayClient(8080);

        var seen = await GetJsonAsync(http, "http://web.example.com:8080/through/gateway", ("x-forwarded-for", "203.0.113.7"));

        Assert.Equal("web", seen.GetProperty("backend").GetString());
        Assert.Equal("/through/gateway", seen.GetProperty("path").GetString());
        Assert.Equal("web.example.com:8080", seen.GetProperty("host").GetString());
        var headers = seen.GetProperty("headers");
        // use_remote_address: the gateway appends the peer it saw; the sidecar behind it keeps the header as received.
        Assert.Equal("203.0.113.7,127.0.0.9", headers.GetProperty("x-forwarded-for").GetString());
        Assert.Equal("http", headers.GetProperty("x-forwarded-proto").GetString());
    }

    [Fact]
    public async Task Gateway_AuthorizationPolicyOnTheGateway_DeniesPathAndSourceWith403()
    {
        using var http = GatewayClient(8080);
        await GetJsonAsync(http, "http://web.example.com:8080/open");

        using var admin = await http.GetAsync("http://web.example.com:8080/admin/users");
        Assert.Equal(HttpStatusCode.Forbidden, admin.StatusCode);
        Assert.Equal("RBAC: access denied", await admin.Content.ReadAsStringAsync());

        using var blocked = GatewayClient(8080, from: "127.0.0.10");
        using var denied = await blocked.GetAsync("http://web.example.com:8080/open");
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);

        // TLS-terminated HTTPS servers carry the same filters.
        using var https = GatewayClient(8443, certificate => certificate?.Thumbprint == mesh.GatewayCertificate.Certificate.Thumbprint);
        using var secureAdmin = await https.GetAsync("https://web.example.com:8443/admin/x");
        Assert.Equal(HttpStatusCode.Forbidden, secureAdmin.StatusCode);
    }

    [Fact]
    public async Task Gateway_HttpServer_UnknownHostIs404()
    {
        using var http = GatewayClient(8080);
        await GetJsonAsync(http, "http://web.example.com:8080/ready");

        using var response = await http.GetAsync("http://nobody.example.com:8080/");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Gateway_HttpsSimpleWithCertificateFiles_TerminatesTlsWithThatCertificate()
    {
        X509Certificate2? presented = null;
        using var http = GatewayClient(8443, certificate =>
        {
            presented = certificate;
            return certificate?.Thumbprint == mesh.GatewayCertificate.Certificate.Thumbprint;
        });

        var seen = await GetJsonAsync(http, "https://web.example.com:8443/secure/path");

        Assert.Equal("web", seen.GetProperty("backend").GetString());
        Assert.Equal("/secure/path", seen.GetProperty("path").GetString());
        Assert.Equal("https", seen.GetProperty("headers").GetProperty("x-forwarded-proto").GetString());
        Assert.Equal("CN=web.example.com", presented?.Subject);
    }

    [Fact]
    public async Task Gateway_TlsPassthroughBySni_ReachesTheBackendsOwnTls()
    {
        using var http = GatewayClient(8444, certificate => certificate?.Thumbprint == mesh.BackendCertificate.Certificate.Thumbprint);

        string body = string.Empty;
        await MeshHarness.Eventually(
            async () =>
            {
                using var response = await http.GetAsync("https://secure.example.com:8444/end/to/end");
                body = await response.Content.ReadAsStringAsync();
                return response.StatusCode == HttpStatusCode.OK;
            },
            "passthrough",
            () => body + "\n" + mesh.Gateway.Output);

        // The app itself terminated TLS (the certificate check above accepts only the backend's).
        Assert.StartsWith("secure HTTP/1.1 GET /end/to/end", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gateway_AuthorizationPolicyOnTheGateway_ClosesDeniedTcpConnections()
    {
        using var allowed = GatewayClient(8444, certificate => certificate?.Thumbprint == mesh.BackendCertificate.Certificate.Thumbprint);
        await MeshHarness.Eventually(
            async () =>
            {
                using var response = await allowed.GetAsync("https://secure.example.com:8444/allowed");
                return response.StatusCode == HttpStatusCode.OK;
            },
            "passthrough from an allowed source",
            () => mesh.Gateway.Output);

        // The same passthrough server from the denied source: the network RBAC filter closes the
        // connection before any byte reaches the backend, so the TLS handshake cannot finish.
        using var blocked = GatewayClient(8444, certificate => certificate?.Thumbprint == mesh.BackendCertificate.Certificate.Thumbprint, from: "127.0.0.10");
        await Assert.ThrowsAsync<HttpRequestException>(() => blocked.GetAsync("https://secure.example.com:8444/denied"));
        Assert.True(await MeshHarness.StatAtLeastAsync(mesh.Gateway, "tcp.rbac.denied", 1) >= 1, await MeshHarness.StatsAsync(mesh.Gateway));
    }
}
