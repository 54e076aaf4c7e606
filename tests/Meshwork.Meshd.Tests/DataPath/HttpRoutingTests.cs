using System.Net;
using System.Text;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>Two versions of one app (w1, w2) behind their sidecars, a client sidecar, and a service per routing feature over them.</summary>
public sealed class HttpRoutingMesh : IAsyncLifetime
{
    public static readonly string[] Hosts = ["mirror", "redirect", "direct", "rewrite", "headers", "cors", "abort", "grpcabort", "ids", "swap"];

    public MeshHarness Mesh { get; private set; } = null!;

    public ProxyProcess Client { get; private set; } = null!;

    /// <summary>A client whose Sidecar resource allows only registered destinations (REGISTRY_ONLY).</summary>
    public ProxyProcess Locked { get; private set; } = null!;

    public TestBackend W1 { get; private set; } = null!;

    public TestBackend W2 { get; private set; } = null!;

    public ProxyProcess[] Workloads { get; private set; } = [];

    /// <summary>What the workloads' sidecars said, for failure messages.</summary>
    public string Outputs() => string.Join("\n", Workloads.Select(p => $"--- {p.Ip} exited={p.HasExited}\n{p.Output}"));

    public static string SwapRoute(string to) => HttpMeshes.VirtualService("swap", $$"""
        - route:
          - {destination: {host: swap.default.svc.cluster.local, subset: v1}, weight: {{(to == "v1" ? 100 : 0)}}}
          - {destination: {host: swap.default.svc.cluster.local, subset: v2}, weight: {{(to == "v2" ? 100 : 0)}}}
        """);

    public async Task InitializeAsync()
    {
        var config = new StringBuilder();
        foreach (var host in Hosts)
        {
            config.Append(HttpMeshes.Service(host, "app: web"));
        }

        const string Subsets = """
            subsets:
            - {name: v1, labels: {version: v1}}
            - {name: v2, labels: {version: v2}}
            """;
        config.Append(HttpMeshes.DestinationRule("mirror", Subsets));
        config.Append(HttpMeshes.DestinationRule("swap", Subsets));
        config.Append(HttpMeshes.VirtualService("mirror", """
            - route: [{destination: {host: mirror.default.svc.cluster.local, subset: v1}}]
              mirror: {host: mirror.default.svc.cluster.local, subset: v2}
              mirrorPercentage: {value: 100}
            """));
        config.Append(HttpMeshes.VirtualService("redirect", """
            - redirect: {uri: /new, authority: x.example}
            """));
        config.Append(HttpMeshes.VirtualService("direct", """
            - directResponse: {status: 418, body: {string: teapot}}
            """));
        config.Append(HttpMeshes.VirtualService("rewrite", """
            - match: [{uri: {prefix: /old/}}]
              rewrite: {uri: /v2/}
              route: [{destination: {host: rewrite.default.svc.cluster.local}}]
            - match: [{uri: {prefix: /authority}}]
              rewrite: {authority: rewritten.example}
              route: [{destination: {host: rewrite.default.svc.cluster.local}}]
            """));
        config.Append(HttpMeshes.VirtualService("headers", """
            - headers:
                request:
                  set: {x-set: one}
                  add: {x-added: two}
                  remove: [x-remove-me]
                response:
                  set: {x-resp-set: three}
                  add: {x-resp-added: four}
                  remove: [x-backend]
              route: [{destination: {host: headers.default.svc.cluster.local}}]
            """));
        config.Append(HttpMeshes.VirtualService("cors", """
            - corsPolicy:
                allowOrigins: [{exact: "https://good.example"}]
                allowMethods: [GET, POST]
                allowHeaders: [x-custom]
                maxAge: 24h
              route: [{destination: {host: cors.default.svc.cluster.local}}]
            """));
        config.Append(HttpMeshes.VirtualService("abort", """
            - fault: {abort: {percentage: {value: 50}, httpStatus: 418}}
              route: [{destination: {host: abort.default.svc.cluster.local}}]
            """));
        config.Append(HttpMeshes.VirtualService("grpcabort", """
            - fault: {abort: {percentage: {value: 100}, grpcStatus: UNAVAILABLE}}
              route: [{destination: {host: grpcabort.default.svc.cluster.local}}]
            """));
        config.Append("""
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: locked, namespace: default}
            spec:
              workloadSelector: {labels: {app: locked}}
              outboundTrafficPolicy: {mode: REGISTRY_ONLY}
            ---

            """);
        Mesh = await MeshHarness.StartAsync(("services.yaml", config.ToString()), ("swap.yaml", SwapRoute("v1")));
        var workloads = await Task.WhenAll(
            Mesh.AddWorkloadAsync("w1", "default", "app=web,version=v1"),
            Mesh.AddWorkloadAsync("w2", "default", "app=web,version=v2"));
        W1 = workloads[0].App;
        W2 = workloads[1].App;
        Workloads = [workloads[0].Proxy, workloads[1].Proxy];
        var clients = await Task.WhenAll(Mesh.AddClientAsync("client", "default", "app=client"), Mesh.AddClientAsync("locked", "default", "app=locked"));
        (Client, Locked) = (clients[0], clients[1]);
        await HttpMeshes.WaitForRoutesAsync(Client, Hosts);
        await HttpMeshes.WaitForRoutesAsync(Locked, Hosts);
    }

    public async Task DisposeAsync() => await Mesh.DisposeAsync();
}

/// <summary>
/// What a VirtualService's HTTP routes do besides choosing a destination — mirror, redirect,
/// direct response, rewrites, header edits, CORS, fault aborts — plus Envoy's request-id and
/// forwarding headers and config swaps under load, through real sidecars.
/// </summary>
[Collection("http-e2e")]
public sealed class HttpRoutingTests(HttpRoutingMesh mesh) : IClassFixture<HttpRoutingMesh>
{
    private ProxyProcess Client => mesh.Client;

    private Task ReachableAsync(string host, string? backend = null, string path = "/ready") =>
        MeshHarness.UntilAsync(Client, () => new HttpRequestMessage(HttpMethod.Get, $"http://{host}:9080{path}"), (r, b) => r.StatusCode == HttpStatusCode.OK && (backend == null || MeshHarness.BackendOf(b) == backend), $"{host} reachable\n{mesh.Outputs()}");

    private async Task<(HttpResponseMessage Response, string Body)> SendAsync(HttpRequestMessage request)
    {
        using var http = HttpMeshes.RawClient(Client);
        var response = await http.SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Mirror_AllRequests_V2GetsShadowCopyWhileClientGetsV1()
    {
        await ReachableAsync("mirror", "w1");
        var probe = Guid.NewGuid().ToString();
        var request = new HttpRequestMessage(HttpMethod.Get, "http://mirror:9080/get");
        request.Headers.Add("x-probe", probe);

        var (response, body) = await SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("w1", MeshHarness.BackendOf(body));
        // The /ready probes above are mirrored too, and one may reach w2 after this copy: look for this one.
        await MeshHarness.Eventually(() => Task.FromResult(mesh.W2.RecentHeadersWith("x-probe", probe) != null), "the mirrored copy at w2", () => string.Join("\n", mesh.W2.LastHeaders));
        Assert.Equal("mirror-shadow:9080", mesh.W2.RecentHeadersWith("x-probe", probe)!["host"]);
    }

    [Fact]
    public async Task Mirror_Post_BodyIsMirroredToo()
    {
        await ReachableAsync("mirror", "w1");
        var probe = Guid.NewGuid().ToString();
        var request = new HttpRequestMessage(HttpMethod.Post, "http://mirror:9080/orders") { Content = new StringContent("{\"mirrored\":\"yes please\"}", Encoding.UTF8, "application/json") };
        request.Headers.Add("x-probe", probe);

        var (response, body) = await SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("w1", MeshHarness.BackendOf(body));
        Assert.Equal("{\"mirrored\":\"yes please\"}", HttpMeshes.Echoed(body, "body"));
        await MeshHarness.Eventually(() => Task.FromResult(mesh.W2.RecentHeadersWith("x-probe", probe) != null), "the mirrored POST at w2", () => string.Join("\n", mesh.W2.LastHeaders));
        var copy = mesh.W2.RecentHeadersWith("x-probe", probe)!;
        Assert.Equal("mirror-shadow:9080", copy["host"]);
        Assert.Equal("25", copy["content-length"]);
        Assert.StartsWith("application/json", copy["content-type"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redirect_UriAndAuthority_301WithLocation()
    {
        var (response, _) = await SendAsync(new HttpRequestMessage(HttpMethod.Get, "http://redirect:9080/old?q=1"));

        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal("http://x.example/new?q=1", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task DirectResponse_Teapot_418WithBody()
    {
        var requests = mesh.W1.Requests + mesh.W2.Requests;

        var (response, body) = await SendAsync(new HttpRequestMessage(HttpMethod.Get, "http://direct:9080/anything"));

        Assert.Equal((HttpStatusCode)418, response.StatusCode);
        Assert.Equal("teapot", body);
        Assert.Equal(requests, mesh.W1.Requests + mesh.W2.Requests);
    }

    [Fact]
    public async Task Rewrite_UriPrefixAndAuthority_BackendSeesRewritten()
    {
        await ReachableAsync("rewrite", path: "/authority/ready");

        var (_, body) = await SendAsync(new HttpRequestMessage(HttpMethod.Get, "http://rewrite:9080/old/items?x=1"));
        Assert.Equal("/v2/items?x=1", HttpMeshes.Echoed(body, "path"));

        (_, body) = await SendAsync(new HttpRequestMessage(HttpMethod.Get, "http://rewrite:9080/authority/check"));
        Assert.Equal("rewritten.example", HttpMeshes.Echoed(body, "host"));
        Assert.Equal("/authority/check", HttpMeshes.Echoed(body, "path"));
    }

    [Fact]
    public async Task Headers_RequestAndResponseOperations_Applied()
    {
        await ReachableAsync("headers");
        var request = new HttpRequestMessage(HttpMethod.Get, "http://headers:9080/h");
        request.Headers.Add("x-set", "original");
        request.Headers.Add("x-remove-me", "gone");

        var (response, body) = await SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("one", HttpMeshes.EchoedHeader(body, "x-set"));
        Assert.Equal("two", HttpMeshes.EchoedHeader(body, "x-added"));
        Assert.Null(HttpMeshes.EchoedHeader(body, "x-remove-me"));
        Assert.Equal(["three"], response.Headers.GetValues("x-resp-set"));
        Assert.Equal(["four"], response.Headers.GetValues("x-resp-added"));
        Assert.False(response.Headers.Contains("x-backend"));
    }

    private static HttpRequestMessage Cors(HttpMethod method, string origin)
    {
        var request = new HttpRequestMessage(method, "http://cors:9080/api");
        request.Headers.Add("Origin", origin);
        if (method == HttpMethod.Options)
        {
            request.Headers.Add("Access-Control-Request-Method", "POST");
            request.Headers.Add("Access-Control-Request-Headers", "x-custom");
        }

        return request;
    }

    [Fact]
    public async Task Cors_AllowedOrigin_PreflightAnsweredByTheProxy_ActualRequestAllowed()
    {
        await ReachableAsync("cors");
        var requests = mesh.W1.Requests + mesh.W2.Requests;

        var (preflight, _) = await SendAsync(Cors(HttpMethod.Options, "https://good.example"));

        Assert.Equal(HttpStatusCode.OK, preflight.StatusCode);
        Assert.Equal(["https://good.example"], preflight.Headers.GetValues("Access-Control-Allow-Origin"));
        Assert.Contains("POST", preflight.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
        Assert.Contains("x-custom", preflight.Headers.GetValues("Access-Control-Allow-Headers").Single(), StringComparison.Ordinal);
        Assert.Equal(["86400"], preflight.Headers.GetValues("Access-Control-Max-Age"));
        Assert.Equal(requests, mesh.W1.Requests + mesh.W2.Requests);

        var (actual, body) = await SendAsync(Cors(HttpMethod.Get, "https://good.example"));
        Assert.Equal(HttpStatusCode.OK, actual.StatusCode);
        Assert.Equal(["https://good.example"], actual.Headers.GetValues("Access-Control-Allow-Origin"));
        Assert.Equal("/api", HttpMeshes.Echoed(body, "path"));
    }

    [Fact]
    public async Task Cors_DisallowedOrigin_GetsNoAllowOrigin()
    {
        await ReachableAsync("cors");

        var (preflight, _) = await SendAsync(Cors(HttpMethod.Options, "https://evil.example"));
        Assert.False(preflight.Headers.Contains("Access-Control-Allow-Origin"));

        var (actual, _) = await SendAsync(Cors(HttpMethod.Get, "https://evil.example"));
        Assert.Equal(HttpStatusCode.OK, actual.StatusCode);
        Assert.False(actual.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task FaultAbort_FiftyPercent_AbortsAboutHalf()
    {
        await MeshHarness.UntilAsync(Client, () => new HttpRequestMessage(HttpMethod.Get, "http://abort:9080/"), (r, _) => r.StatusCode == HttpStatusCode.OK, "abort route served");
        var aborted = 0;
        using var http = Client.AppClient();
        for (var i = 0; i < 200; i++)
        {
            using var response = await http.GetAsync("http://abort:9080/");
            var body = await response.Content.ReadAsStringAsync();
            if ((int)response.StatusCode == 418)
            {
                Assert.Equal("fault filter abort", body);
                aborted++;
            }
            else
            {
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}\n{Client.Output}\n{mesh.Outputs()}");
            }
        }

        // 200 fair coin flips land in [70, 130] with probability above 0.99999.
        Assert.InRange(aborted, 70, 130);
    }

    [Fact]
    public async Task FaultAbort_GrpcStatus_AnsweredAsGrpc()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "http://grpcabort:9080/pkg.Service/Method") { Content = new ByteArrayContent([0, 0, 0, 0, 0]) };
        request.Content.Headers.ContentType = new("application/grpc");

        var (response, _) = await SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["14"], response.Headers.GetValues("grpc-status"));
        Assert.Equal("fault filter abort", Uri.UnescapeDataString(response.Headers.GetValues("grpc-message").Single()));
    }

    [Fact]
    public async Task RequestId_Absent_GeneratedAsUuid_Present_Kept()
    {
        await ReachableAsync("ids");

        var (_, body) = await SendAsync(new HttpRequestMessage(HttpMethod.Get, "http://ids:9080/"));
        Assert.True(Guid.TryParse(HttpMeshes.EchoedHeader(body, "x-request-id"), out _), body);
        Assert.Equal("http", HttpMeshes.EchoedHeader(body, "x-forwarded-proto"));

        var request = new HttpRequestMessage(HttpMethod.Get, "http://ids:9080/");
        request.Headers.Add("x-request-id", "my-own-id");
        (_, body) = await SendAsync(request);
        Assert.Equal("my-own-id", HttpMeshes.EchoedHeader(body, "x-request-id"));
    }

    [Fact]
    public async Task UnknownHost_AllowAny_PassesThroughToTheOriginalDestination()
    {
        // w1's app itself, an address no service in the mesh names.
        var (response, body) = await SendAsync(new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{mesh.W1.Port}/outside"));

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}\n{Client.Output}");
        Assert.Equal("/outside", HttpMeshes.Echoed(body, "path"));
        Assert.True(await MeshHarness.StatAtLeastAsync(Client, "cluster.PassthroughCluster.upstream_rq_total", 1) >= 1, await MeshHarness.StatsAsync(Client));
    }

    [Fact]
    public async Task UnknownHost_RegistryOnly_BlockedWith502_KnownServicesStillServed()
    {
        var requests = mesh.W1.Requests;
        using var http = HttpMeshes.RawClient(mesh.Locked);

        using var blocked = await http.GetAsync($"http://127.0.0.1:{mesh.W1.Port}/outside");
        Assert.Equal(HttpStatusCode.BadGateway, blocked.StatusCode);
        Assert.Equal(requests, mesh.W1.Requests);

        using var known = await http.GetAsync("http://ids:9080/inside");
        Assert.Equal(HttpStatusCode.OK, known.StatusCode);
    }

    [Fact]
    public async Task ConfigSwap_TenWeightFlipsUnderLoad_NoRequestFails()
    {
        await ReachableAsync("swap", "w1");
        using var stop = new CancellationTokenSource();
        var failures = new List<string>();
        var served = 0;
        var load = Task.Run(async () =>
        {
            using var http = Client.AppClient();
            while (!stop.IsCancellationRequested)
            {
                using var response = await http.GetAsync("http://swap:9080/load");
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures.Add($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }

                Interlocked.Increment(ref served);
            }
        });

        try
        {
            for (var flip = 1; flip <= 10; flip++)
            {
                var to = flip % 2 == 1 ? "v2" : "v1";
                var backend = to == "v2" ? "w2" : "w1";
                await mesh.Mesh.ApplyAsync("swap.yaml", HttpRoutingMesh.SwapRoute(to));
                await ReachableAsync("swap", backend);
                Assert.False(load.IsCompleted, load.Exception?.ToString());
            }
        }
        finally
        {
            stop.Cancel();
            await load;
        }

        Assert.Empty(failures);
        Assert.True(served > 10);
    }
}
