using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Meshwork.Meshd.Tests.DataPath;

namespace Meshwork.Meshd.Tests.Security;

/// <summary>
/// mesh-proxy's certificate agent against a real meshd: a bootstrap token from meshctl buys the
/// workload certificate, which rotates on a short TTL without a restart; a bad token buys nothing
/// while the proxy goes on serving; and two agents' certificates carry mTLS between two proxies.
/// </summary>
public sealed class AgentTests : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private MeshHarness _mesh = null!;

    private string RootFile => Path.Combine(_mesh.Meshd.CaDirectory, "root-cert.pem");

    public async Task InitializeAsync()
    {
        _mesh = await MeshHarness.StartAsync(("services.yaml", EdgeProtocolMesh.Service("web", 9080, "HTTP")));
    }

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }

        await _mesh.DisposeAsync();
        _http.Dispose();
    }

    [Fact]
    public async Task Agent_BootstrapToken_ObtainsItsIdentityVerifyingToTheMeshRoot_AndRotatesWithoutRestart()
    {
        var token = await TokenFileAsync("shop", "catalog");
        var proxy = StartProxy("catalog", "shop", "catalog", token, "--cert-ttl", "20s");

        var first = await CertificateAsync(proxy, null);
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/catalog", first.Uri);
        var chain = await ChainFromConfigDumpAsync(proxy);
        Assert.Equal(first.Serial, chain[0].SerialNumber.ToLowerInvariant());
        Assert.True(VerifiesTo(chain, RootFile), "the workload certificate does not verify to the mesh root");
        await LoggedAsync(proxy, "first workload certificate for spiffe://cluster.local/ns/shop/sa/catalog");

        var (exit, table) = await MeshdProcess.RunToolAsync("meshctl.dll", "proxy-config", "secret", "--admin", $"127.0.0.1:{proxy.AdminPort}");
        Assert.True(exit == 0, table);
        Assert.Matches(@"(?m)^RESOURCE NAME\s+TYPE\s+STATUS\s+VALID CERT\s+SERIAL NUMBER\s+NOT AFTER\s+NOT BEFORE$", table);
        Assert.Matches($@"(?m)^default\s+Cert Chain\s+ACTIVE\s+true\s+{first.Serial}\s+\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+\S+Z$", table);
        Assert.Matches(@"(?m)^ROOTCA\s+CA\s+ACTIVE\s+true\s+[0-9a-f]+\s+", table);
        (exit, var json) = await MeshdProcess.RunToolAsync("meshctl.dll", "proxy-config", "secret", "--admin", $"127.0.0.1:{proxy.AdminPort}", "-o", "json");
        Assert.Equal(0, exit);
        Assert.Contains("dynamic_active_secrets", json);

        // Rotation at half of the 20 s lifetime: a new serial on /certs, same process.
        var pid = proxy.Pid;
        var second = await CertificateAsync(proxy, first.Serial);
        Assert.NotEqual(first.Serial, second.Serial);
        Assert.Equal(pid, proxy.Pid);
        Assert.False(proxy.HasExited);
        await LoggedAsync(proxy, "workload certificate rotated");
    }

    [Fact]
    public async Task Agent_BadToken_NoCertificate_ReasonLogged_ProxyStillServesPlaintext()
    {
        var token = Path.Combine(_mesh.ConfigDirectory, "..", $"bad-token-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(token, "not.a.jwt");
        _owned.Add(new FileRemover(token));
        var app = await TestBackend.StartAsync("web");
        _owned.Add(app);
        var proxy = StartProxy("web", "default", "default", token, "--inbound", $"9080=127.0.0.1:{app.Port}", "--labels", "app=web");
        await _mesh.WaitReadyAsync(proxy);

        await LoggedAsync(proxy, "workload certificate request failed: Unauthenticated");
        using var certs = JsonDocument.Parse(await _http.GetStringAsync(proxy.Admin("/certs")));
        Assert.Empty(certs.RootElement.GetProperty("certificates")[0].GetProperty("cert_chain").EnumerateArray());

        await EdgeProtocolMesh.WaitBoundAsync(_mesh, proxy, $"{proxy.Ip}:9080");
        var body = await _http.GetStringAsync($"http://{proxy.Ip}:9080/hello");
        Assert.Equal("web", MeshHarness.BackendOf(body));
    }

    [Fact]
    public async Task Agents_IstioMutual_ClientSidecarToGateway_UseTheirSdsCertificates()
    {
        await _mesh.AddWorkloadAsync("web", "default", "app=web");
        var token = await TokenFileAsync("default", "default");
        var gateway = StartProxy("istio-ingressgateway", "default", "default", token, "--labels", "istio=ingressgateway", "--role", "gateway");
        var client = StartProxy("client", "default", "default", token);

        // The gateway is reached as a mesh service whose endpoint is its address; the client's DestinationRule asks for ISTIO_MUTUAL.
        await _mesh.ApplyAsync("edge.yaml", $$$"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: edge, namespace: default}
            spec:
              hosts: [edge.default.svc.cluster.local]
              location: MESH_INTERNAL
              ports: [{number: 8443, name: http, protocol: HTTP}]
              resolution: STATIC
              subjectAltNames: [spiffe://cluster.local/ns/default/sa/default]
              endpoints: [{address: {{{gateway.Ip}}}}]
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: edge, namespace: default}
            spec:
              host: edge.default.svc.cluster.local
              trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
            ---
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: edge-gw, namespace: default}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 8443, name: https, protocol: HTTPS}
                hosts: ["*"]
                tls: {mode: ISTIO_MUTUAL}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: edge-web, namespace: default}
            spec:
              hosts: ["*"]
              gateways: [edge-gw]
              http:
              - route:
                - destination: {host: web.default.svc.cluster.local, port: {number: 9080}}
            """);
        await CertificateAsync(gateway, null);
        await CertificateAsync(client, null);
        await EdgeProtocolMesh.WaitBoundAsync(_mesh, gateway, $"{gateway.Ip}:8443");

        using var response = await MeshHarness.UntilAsync(
            client,
            () => new HttpRequestMessage(HttpMethod.Get, "http://edge.default.svc.cluster.local:8443/through-mtls"),
            (r, body) => r.IsSuccessStatusCode && MeshHarness.BackendOf(body) == "web",
            "the web app through the client's mTLS to the gateway");

        // Without a mesh client certificate the gateway's ISTIO_MUTUAL chain refuses the handshake.
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Parse(gateway.Ip), 8443);
        await using var ssl = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await ssl.AuthenticateAsClientAsync("edge.default.svc.cluster.local");
            await ssl.WriteAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: edge\r\n\r\n"));
            var buffer = new byte[64];
            if (await ssl.ReadAsync(buffer) == 0)
            {
                throw new IOException("closed without an answer");
            }
        });
    }

    [Fact]
    public async Task SdsSocket_StreamSecrets_GivesDefaultAndRootCa_AndPushesANewVersionOnRotation()
    {
        var token = await TokenFileAsync("shop", "catalog");
        var socket = Path.Combine(Path.GetTempPath(), $"mw-sds-{Guid.NewGuid():N}.sock");
        _owned.Add(new FileRemover(socket));
        var proxy = StartProxy("catalog", "shop", "catalog", token, "--cert-ttl", "20s", "--sds-socket", socket);
        await CertificateAsync(proxy, null);

        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress("http://localhost", new Grpc.Net.Client.GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, cancellationToken) =>
                {
                    var unix = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                    await unix.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(socket), cancellationToken);
                    return new System.Net.Sockets.NetworkStream(unix, ownsSocket: true);
                },
            },
        });
        var client = new Envoy.Service.Secret.V3.SecretDiscoveryService.SecretDiscoveryServiceClient(channel);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var stream = client.StreamSecrets(cancellationToken: timeout.Token);
        var request = new Envoy.Service.Discovery.V3.DiscoveryRequest { TypeUrl = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret", ResourceNames = { "default", "ROOTCA" } };
        await stream.RequestStream.WriteAsync(request, timeout.Token);

        Assert.True(await stream.ResponseStream.MoveNext(timeout.Token));
        var first = stream.ResponseStream.Current;
        var (firstLeaf, root) = Secrets(first);
        Assert.True(firstLeaf.HasPrivateKey);
        Assert.Contains("spiffe://cluster.local/ns/shop/sa/catalog", firstLeaf.Extensions["2.5.29.17"]!.Format(false));
        Assert.True(VerifiesTo([firstLeaf], RootFile));
        Assert.True(VerifiesTo([firstLeaf], root));
        await stream.RequestStream.WriteAsync(new Envoy.Service.Discovery.V3.DiscoveryRequest { TypeUrl = request.TypeUrl, ResourceNames = { "default", "ROOTCA" }, VersionInfo = first.VersionInfo, ResponseNonce = first.Nonce }, timeout.Token);

        // The rotation at half of 20 s arrives on the open stream as a new version with a new certificate.
        X509Certificate2 rotated;
        Envoy.Service.Discovery.V3.DiscoveryResponse next;
        do
        {
            Assert.True(await stream.ResponseStream.MoveNext(timeout.Token));
            next = stream.ResponseStream.Current;
            rotated = Secrets(next).Leaf;
        }
        while (rotated.SerialNumber == firstLeaf.SerialNumber);

        Assert.NotEqual(first.VersionInfo, next.VersionInfo);
        Assert.True(rotated.HasPrivateKey);
        await stream.RequestStream.CompleteAsync();
    }

    [Theory]
    [InlineData("--ca-address nohost", "--ca-address \"nohost\": expected HOST:PORT")]
    [InlineData("--ca-address 127.0.0.1:1 --token-file ROOT", "--ca-address needs --ca-root-cert")]
    [InlineData("--ca-address 127.0.0.1:1 --ca-root-cert /nonexistent/root.pem --token-file ROOT", "--ca-root-cert /nonexistent/root.pem: no such file")]
    [InlineData("--ca-address 127.0.0.1:1 --ca-root-cert ROOT", "--ca-address needs --token-file")]
    [InlineData("--ca-address 127.0.0.1:1 --ca-root-cert ROOT --token-file ROOT --workload-key dsa", "--workload-key \"dsa\": expected ecdsa-p256 or rsa-2048")]
    [InlineData("--ca-address 127.0.0.1:1 --ca-root-cert ROOT --token-file ROOT --cert-ttl 100d", "--cert-ttl \"100d\": expected a duration")]
    [InlineData("--token-file ROOT", "--token-file needs --ca-address")]
    public async Task Flags_BadAgentValues_OneLineAndExitTwo(string flags, string message)
    {
        string[] args = ["--workload", "w", "--ip", "127.0.0.1", .. flags.Replace("ROOT", RootFile, StringComparison.Ordinal).Split(' ')];

        var (exit, output) = await MeshdProcess.RunToolAsync("mesh-proxy.dll", args);

        Assert.Equal(2, exit);
        Assert.StartsWith("mesh-proxy: " + message, output.Trim());
        Assert.Single(output.Trim().Split('\n'));
    }

    /// <summary>The leaf (with its key) of <c>default</c> and the roots of <c>ROOTCA</c> from an SDS response.</summary>
    private static (X509Certificate2 Leaf, X509Certificate2Collection Roots) Secrets(Envoy.Service.Discovery.V3.DiscoveryResponse response)
    {
        var secrets = response.Resources.Select(r => r.Unpack<Envoy.Extensions.TransportSockets.Tls.V3.Secret>()).ToDictionary(s => s.Name);
        Assert.Equal(["ROOTCA", "default"], secrets.Keys.Order(StringComparer.Ordinal));
        var certificate = secrets["default"].TlsCertificate;
        var leaf = X509Certificate2.CreateFromPem(certificate.CertificateChain.InlineBytes.ToStringUtf8(), certificate.PrivateKey.InlineBytes.ToStringUtf8());
        var roots = new X509Certificate2Collection();
        roots.ImportFromPem(secrets["ROOTCA"].ValidationContext.TrustedCa.InlineBytes.ToStringUtf8());
        return (leaf, roots);
    }

    /// <summary>The console logger writes asynchronously: wait for the line rather than expect it at once.</summary>
    private static Task LoggedAsync(ProxyProcess proxy, string text) =>
        MeshHarness.Eventually(() => Task.FromResult(proxy.Output.Contains(text, StringComparison.Ordinal)), $"\"{text}\" logged", () => proxy.Output);

    private async Task<string> TokenFileAsync(string ns, string serviceAccount)
    {
        var (exit, token) = await MeshdProcess.RunToolAsync("meshctl.dll", "token", "create", "--ca-dir", _mesh.Meshd.CaDirectory, "--namespace", ns, "--service-account", serviceAccount);
        Assert.True(exit == 0, token);
        var file = Path.Combine(Path.GetTempPath(), $"meshwork-token-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(file, token.Trim());
        _owned.Add(new FileRemover(file));
        return file;
    }

    /// <summary>A mesh-proxy with the agent on; extra flags after the agent's (a later --labels wins over the default one).</summary>
    private ProxyProcess StartProxy(string workload, string ns, string serviceAccount, string tokenFile, params string[] extra)
    {
        var labels = $"app={workload}";
        var role = "sidecar";
        var args = new List<string> { "--ca-address", $"127.0.0.1:{_mesh.Meshd.SecurePort}", "--token-file", tokenFile, "--ca-root-cert", RootFile };
        var inbound = new List<string>();
        for (var i = 0; i < extra.Length; i++)
        {
            switch (extra[i])
            {
                case "--inbound":
                    inbound.Add(extra[++i]);
                    break;
                case "--labels":
                    labels = extra[++i];
                    break;
                case "--role":
                    role = extra[++i];
                    break;
                default:
                    args.Add(extra[i]);
                    break;
            }
        }

        var proxy = ProxyProcess.Start(_mesh.Meshd.XdsPort, workload, ns, _mesh.NextIp(), labels, serviceAccount, inbound, role, [.. args]);
        _owned.Add(proxy);
        return proxy;
    }

    /// <summary>Waits until /certs shows a workload certificate whose serial is not <paramref name="previous"/>; returns its serial and URI SAN.</summary>
    private async Task<(string Serial, string Uri)> CertificateAsync(ProxyProcess proxy, string? previous)
    {
        (string Serial, string Uri) found = default;
        await MeshHarness.Eventually(
            async () =>
            {
                Assert.False(proxy.HasExited, proxy.Output);
                using var certs = JsonDocument.Parse(await _http.GetStringAsync(proxy.Admin("/certs")));
                var chain = certs.RootElement.GetProperty("certificates")[0].GetProperty("cert_chain");
                if (chain.GetArrayLength() == 0 || chain[0].GetProperty("serial_number").GetString() == previous)
                {
                    return false;
                }

                found = (chain[0].GetProperty("serial_number").GetString()!, chain[0].GetProperty("subject_alt_names")[0].GetProperty("uri").GetString()!);
                return true;
            },
            previous == null ? "the first workload certificate" : "a rotated workload certificate",
            () => proxy.Output + "\n--- meshd ---\n" + _mesh.Meshd.Output,
            TimeSpan.FromSeconds(60));
        return found;
    }

    /// <summary>The <c>default</c> secret's certificate chain from /config_dump's SecretsConfigDump (no key is there).</summary>
    private async Task<List<X509Certificate2>> ChainFromConfigDumpAsync(ProxyProcess proxy)
    {
        var dump = await _http.GetStringAsync(proxy.Admin("/config_dump"));
        Assert.DoesNotContain("PRIVATE KEY", dump);
        using var json = JsonDocument.Parse(dump);
        var secrets = json.RootElement.GetProperty("configs").EnumerateArray().Single(c => c.TryGetProperty("@type", out var t) && t.GetString()!.EndsWith("SecretsConfigDump", StringComparison.Ordinal));
        var active = secrets.GetProperty("dynamic_active_secrets").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "default");
        Assert.False(string.IsNullOrEmpty(active.GetProperty("version_info").GetString()));
        var pem = Encoding.ASCII.GetString(Convert.FromBase64String(active.GetProperty("secret").GetProperty("tls_certificate").GetProperty("certificate_chain").GetProperty("inline_bytes").GetString()!));
        var chain = new X509Certificate2Collection();
        chain.ImportFromPem(pem);
        return [.. chain];
    }

    private static bool VerifiesTo(List<X509Certificate2> chain, string rootFile)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(rootFile);
        return VerifiesTo(chain, roots);
    }

    private static bool VerifiesTo(List<X509Certificate2> chain, X509Certificate2Collection roots)
    {
        using var verifier = new X509Chain();
        verifier.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        verifier.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        verifier.ChainPolicy.CustomTrustStore.AddRange(roots);
        verifier.ChainPolicy.ExtraStore.AddRange(chain.Skip(1).ToArray());
        return verifier.Build(chain[0]);
    }

    private sealed class FileRemover(string path) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            File.Delete(path);
            return ValueTask.CompletedTask;
        }
    }
}
