using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>
/// The HTTP tests' small meshes and helpers. Every feature gets its own service host (a
/// ServiceEntry selecting shared workloads by label) with its own VirtualService/DestinationRule,
/// all in force from the start, so tests never wait for each other's config and a cluster's state
/// (ejections, breaker counts) belongs to one test.
/// </summary>
internal static class HttpMeshes
{
    public static string Service(string name, string selector) => $$"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: {{name}}, namespace: default}
        spec:
          hosts: [{{name}}.default.svc.cluster.local]
          location: MESH_INTERNAL
          ports: [{number: 9080, name: http, protocol: HTTP}]
          resolution: STATIC
          workloadSelector:
            labels: {{{selector}}}
        ---

        """;

    /// <summary>A service whose endpoints are plain addresses (no sidecar in front: the client's sidecar talks to them directly).</summary>
    public static string StaticService(string name, params int[] ports) => $$"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: {{name}}, namespace: default}
        spec:
          hosts: [{{name}}.default.svc.cluster.local]
          location: MESH_INTERNAL
          ports: [{number: 9080, name: http, protocol: HTTP}]
          resolution: STATIC
          endpoints: [{{string.Join(", ", ports.Select(p => $"{{address: 127.0.0.1, ports: {{http: {p}}}}}"))}}]
        ---

        """;

    public static string VirtualService(string name, string http) => $$"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: {{name}}, namespace: default}
        spec:
          hosts: [{{name}}.default.svc.cluster.local]
          http:
        {{Indent(http, 4)}}
        ---

        """;

    public static string DestinationRule(string name, string spec) => $$"""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: {{name}}, namespace: default}
        spec:
          host: {{name}}.default.svc.cluster.local
        {{Indent(spec, 2)}}
        ---

        """;

    private static string Indent(string text, int spaces) =>
        string.Join("\n", text.Trim('\n').Split('\n').Select(l => new string(' ', spaces) + l));

    /// <summary>Waits until <paramref name="proxy"/>'s route tables name every host in <paramref name="hosts"/>.</summary>
    public static async Task WaitForRoutesAsync(ProxyProcess proxy, params string[] hosts)
    {
        using var http = new HttpClient();
        var dump = string.Empty;
        await MeshHarness.Eventually(
            async () =>
            {
                dump = await http.GetStringAsync(proxy.Admin("/config_dump"));
                return hosts.All(h => dump.Contains($"{h}.default.svc.cluster.local", StringComparison.Ordinal));
            },
            "routes for " + string.Join(", ", hosts),
            () => dump);
    }

    /// <summary>An app client through the sidecar that does not follow redirects.</summary>
    public static HttpClient RawClient(ProxyProcess proxy) => new(new SocketsHttpHandler { Proxy = new WebProxy($"http://{proxy.Ip}:{proxy.OutboundPort}"), UseProxy = true, UseCookies = false, AllowAutoRedirect = false })
    {
        Timeout = TimeSpan.FromSeconds(20),
    };

    /// <summary>The sum of every stat whose name ends with <paramref name="suffix"/>.</summary>
    public static async Task<long> StatSumAsync(ProxyProcess proxy, string suffix)
    {
        long sum = 0;
        foreach (var line in (await MeshHarness.StatsAsync(proxy)).Split('\n'))
        {
            var colon = line.LastIndexOf(": ", StringComparison.Ordinal);
            if (colon > 0 && line[..colon].EndsWith(suffix, StringComparison.Ordinal) && long.TryParse(line[(colon + 2)..], out var value))
            {
                sum += value;
            }
        }

        return sum;
    }

    public static string ClusterStat(string host, string stat) => $"cluster.outbound|9080||{host}.default.svc.cluster.local.{stat}";

    public static string FlagStat(ProxyProcess client, string flag) => $"http.outbound_{client.Ip}_15001.response_flags.{flag}";

    /// <summary>The request headers the backend echoed in its answer.</summary>
    public static JsonElement EchoedHeaders(string body) => JsonDocument.Parse(body).RootElement.GetProperty("headers");

    public static string? EchoedHeader(string body, string name) =>
        EchoedHeaders(body).TryGetProperty(name, out var value) ? value.GetString() : null;

    public static string Echoed(string body, string property) => JsonDocument.Parse(body).RootElement.GetProperty(property).GetString()!;
}

/// <summary>
/// Backends b1, b2, b3 (each an app behind its sidecar), a workload whose app is down, plain
/// addresses for direct upstreams, and a client sidecar; services over them for each resilience feature.
/// </summary>
public sealed class HttpResilienceMesh : IAsyncLifetime
{
    public static readonly string[] Hosts =
    [
        "retry5xx", "retryonce", "retrygw", "retryreset", "noretryreset", "retrypost", "timeout", "pertry",
        "dead", "none", "cb", "od", "rr", "hash", "least", "cf", "refused", "direct", "flakyreset",
    ];

    private ProxyProcess? _dead;

    /// <summary>A bare HTTP/1.1 server that can reset the connection of its next requests.</summary>
    public ResettingBackend Resetting { get; } = new();

    public MeshHarness Mesh { get; private set; } = null!;

    public ProxyProcess Client { get; private set; } = null!;

    public TestBackend B1 { get; private set; } = null!;

    public TestBackend B2 { get; private set; } = null!;

    public TestBackend B3 { get; private set; } = null!;

    public ProxyProcess B1Proxy { get; private set; } = null!;

    public ProxyProcess DeadProxy => _dead!;

    public async Task InitializeAsync()
    {
        var config = new StringBuilder();
        foreach (var host in new[] { "retry5xx", "retryonce", "retrygw", "retrypost", "timeout", "pertry", "cb" })
        {
            config.Append(HttpMeshes.Service(host, "app: one"));
        }

        config.Append(HttpMeshes.Service("dead", "app: dead"));
        config.Append(HttpMeshes.Service("none", "app: nobody"));
        config.Append(HttpMeshes.Service("od", "pair: in"));
        foreach (var host in new[] { "rr", "hash", "least" })
        {
            config.Append(HttpMeshes.Service(host, "trio: in"));
        }

        config.Append(HttpMeshes.VirtualService("retry5xx", """
            - route: [{destination: {host: retry5xx.default.svc.cluster.local}}]
              retries: {attempts: 3, retryOn: 5xx}
            """));
        config.Append(HttpMeshes.VirtualService("retryonce", """
            - route: [{destination: {host: retryonce.default.svc.cluster.local}}]
              retries: {attempts: 1, retryOn: 5xx}
            """));
        config.Append(HttpMeshes.VirtualService("retrygw", """
            - route: [{destination: {host: retrygw.default.svc.cluster.local}}]
              retries: {attempts: 3, retryOn: gateway-error}
            """));
        config.Append(HttpMeshes.VirtualService("retrypost", """
            - route: [{destination: {host: retrypost.default.svc.cluster.local}}]
              retries: {attempts: 3, retryOn: "5xx,reset"}
            """));
        config.Append(HttpMeshes.VirtualService("timeout", """
            - route: [{destination: {host: timeout.default.svc.cluster.local}}]
              timeout: 1s
            """));
        config.Append(HttpMeshes.VirtualService("pertry", """
            - route: [{destination: {host: pertry.default.svc.cluster.local}}]
              timeout: 20s
              retries: {attempts: 2, perTryTimeout: 1s, retryOn: 5xx}
            """));
        config.Append(HttpMeshes.DestinationRule("cb", """
            trafficPolicy:
              connectionPool:
                tcp: {maxConnections: 1}
                http: {http1MaxPendingRequests: 1, maxRequestsPerConnection: 1}
            """));
        config.Append(HttpMeshes.DestinationRule("od", """
            trafficPolicy:
              outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 3m, maxEjectionPercent: 100}
            """));
        config.Append(HttpMeshes.DestinationRule("rr", "trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}"));
        config.Append(HttpMeshes.DestinationRule("hash", "trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}"));
        config.Append(HttpMeshes.DestinationRule("least", "trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}"));

        Mesh = await MeshHarness.StartAsync(("services.yaml", config.ToString()));
        var workloads = await Task.WhenAll(
            Mesh.AddWorkloadAsync("b1", "default", "app=one,pair=in,trio=in"),
            Mesh.AddWorkloadAsync("b2", "default", "app=two,pair=in,trio=in"),
            Mesh.AddWorkloadAsync("b3", "default", "app=three,trio=in"));
        (B1Proxy, B1) = workloads[0];
        B2 = workloads[1].App;
        B3 = workloads[2].App;

        // A workload whose sidecar is up but whose app is not listening.
        var closed = LoopbackPorts.FreePorts(2);
        _dead = ProxyProcess.Start(Mesh.Meshd.XdsPort, "dead", "default", Mesh.NextIp(), "app=dead", "default", [$"9080=127.0.0.1:{closed[0]}"]);
        await Mesh.WaitReadyAsync(_dead);

        // Upstreams the client's sidecar connects to directly: one closed port, and b3's app itself.
        var direct = new StringBuilder()
            .Append(HttpMeshes.StaticService("cf", closed[1], B3.Port))
            .Append(HttpMeshes.StaticService("refused", closed[1]))
            .Append(HttpMeshes.StaticService("direct", B3.Port))
            .Append(HttpMeshes.StaticService("retryreset", B3.Port))
            .Append(HttpMeshes.StaticService("noretryreset", B3.Port))
            .Append(HttpMeshes.StaticService("flakyreset", Resetting.Port))
            .Append(HttpMeshes.VirtualService("flakyreset", """
                - route: [{destination: {host: flakyreset.default.svc.cluster.local}}]
                  retries: {attempts: 2, retryOn: reset}
                """))
            .Append(HttpMeshes.VirtualService("cf", """
                - route: [{destination: {host: cf.default.svc.cluster.local}}]
                  retries: {attempts: 3, retryOn: connect-failure}
                """))
            .Append(HttpMeshes.VirtualService("retryreset", """
                - route: [{destination: {host: retryreset.default.svc.cluster.local}}]
                  retries: {attempts: 2, retryOn: reset}
                """))
            .Append(HttpMeshes.VirtualService("noretryreset", """
                - route: [{destination: {host: noretryreset.default.svc.cluster.local}}]
                  retries: {attempts: 2, retryOn: connect-failure}
                """))
            .Append(HttpMeshes.DestinationRule("cf", "trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}"));
        await Mesh.ApplyAsync("direct.yaml", direct.ToString());

        Client = await Mesh.AddClientAsync("client", "default", "app=client");
        await HttpMeshes.WaitForRoutesAsync(Client, Hosts);
    }

    public async Task DisposeAsync()
    {
        if (_dead != null)
        {
            await _dead.DisposeAsync();
        }

        await Mesh.DisposeAsync();
        Resetting.Dispose();
    }
}

/// <summary>
/// A minimal keep-alive HTTP/1.1 server on loopback answering 200 "fresh" to each request, except
/// that after <see cref="ResetNext"/> it drops the connection with a TCP RST once it has read a
/// request (an upstream reset before any response byte).
/// </summary>
public sealed class ResettingBackend : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private int _resetsLeft;
    private int _requests;

    public ResettingBackend()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptAsync();
    }

    public int Port { get; }

    public int Requests => Volatile.Read(ref _requests);

    public void ResetNext(int count) => Volatile.Write(ref _resetsLeft, count);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var _ = socket;
        var buffer = new byte[16 * 1024];
        var filled = 0;
        try
        {
            while (true)
            {
                int end;
                while ((end = IndexOfHeadersEnd(buffer.AsSpan(0, filled))) < 0)
                {
                    var read = await socket.ReceiveAsync(buffer.AsMemory(filled), _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    filled += read;
                }

                Interlocked.Increment(ref _requests);
                buffer.AsSpan(end, filled - end).CopyTo(buffer);
                filled -= end;
                if (Interlocked.Decrement(ref _resetsLeft) >= 0)
                {
                    socket.LingerState = new LingerOption(true, 0);
                    socket.Close();
                    return;
                }

                Interlocked.Exchange(ref _resetsLeft, 0);
                await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nfresh"u8.ToArray(), _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private static int IndexOfHeadersEnd(ReadOnlySpan<byte> data)
    {
        var at = data.IndexOf("\r\n\r\n"u8);
        return at < 0 ? -1 : at + 4;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}

/// <summary>
/// Retries, timeouts, connect failures, circuit breaking, outlier detection and load balancing of
/// VirtualServices and DestinationRules, through real sidecars to real backends.
/// </summary>
[Collection("http-e2e")]
public sealed class HttpResilienceTests(HttpResilienceMesh mesh) : IClassFixture<HttpResilienceMesh>
{
    private ProxyProcess Client => mesh.Client;

    private static Func<HttpRequestMessage> Get(string url) => () => new HttpRequestMessage(HttpMethod.Get, url);

    private Task ReachableAsync(string host, string? backend = null) =>
        MeshHarness.UntilAsync(Client, Get($"http://{host}:9080/ready"), (r, b) => r.StatusCode == HttpStatusCode.OK && (backend == null || MeshHarness.BackendOf(b) == backend), $"{host} reachable");

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpRequestMessage request)
    {
        using var http = Client.AppClient();
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private Task<(HttpStatusCode Status, string Body)> GetAsync(string url) => SendAsync(new HttpRequestMessage(HttpMethod.Get, url));

    /// <summary>How many requests the client sidecar has flagged with an Envoy response flag.</summary>
    private Task<long> FlagCountAsync(string flag) => MeshHarness.StatAsync(Client, HttpMeshes.FlagStat(Client, flag));

    private async Task AssertFlagCountAsync(string flag, long expected) =>
        Assert.Equal(expected, await MeshHarness.StatAtLeastAsync(Client, HttpMeshes.FlagStat(Client, flag), expected));

    [Fact]
    public async Task Retries_BackendFailsTwice_ClientSees200AfterTwoRetries()
    {
        await ReachableAsync("retry5xx");
        var before = await MeshHarness.StatAsync(Client, HttpMeshes.ClusterStat("retry5xx", "upstream_rq_retry"));
        var requests = mesh.B1.Requests;
        mesh.B1.FailNext(2);

        var (status, body) = await GetAsync("http://retry5xx:9080/flaky");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(3, mesh.B1.Requests - requests);
        Assert.True(await MeshHarness.StatAtLeastAsync(Client, HttpMeshes.ClusterStat("retry5xx", "upstream_rq_retry"), before + 2) - before >= 2, await MeshHarness.StatsAsync(Client));
        // The third attempt says so upstream.
        Assert.Equal("3", HttpMeshes.EchoedHeader(body, "x-envoy-attempt-count"));
    }

    [Fact]
    public async Task Retries_SuccessfulFirstTry_CountsNoRetry()
    {
        await ReachableAsync("retry5xx");
        var before = await MeshHarness.StatAsync(Client, HttpMeshes.ClusterStat("retry5xx", "upstream_rq_retry"));

        for (var i = 0; i < 5; i++)
        {
            var (status, body) = await GetAsync("http://retry5xx:9080/fine");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("1", HttpMeshes.EchoedHeader(body, "x-envoy-attempt-count"));
        }

        Assert.Equal(before, await MeshHarness.StatAtLeastAsync(Client, HttpMeshes.ClusterStat("retry5xx", "upstream_rq_retry"), before));
    }

    [Fact]
    public async Task Retries_OneAttemptAgainstTwoFailures_503WithRetryLimitFlag()
    {
        await ReachableAsync("retryonce");
        var urx = await FlagCountAsync("URX");
        var requests = mesh.B1.Requests;
        mesh.B1.FailNext(2);

        var (status, body) = await GetAsync("http://retryonce:9080/flaky");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("b1", MeshHarness.BackendOf(body));
        Assert.Equal(2, mesh.B1.Requests - requests);
        await AssertFlagCountAsync("URX", urx + 1);
    }

    [Fact]
    public async Task Retries_GatewayError_Retries502ButNot500()
    {
        await ReachableAsync("retrygw");
        var requests = mesh.B1.Requests;

        var (status500, _) = await GetAsync("http://retrygw:9080/x?status=500");
        Assert.Equal(HttpStatusCode.InternalServerError, status500);
        Assert.Equal(1, mesh.B1.Requests - requests);

        requests = mesh.B1.Requests;
        var (status502, _) = await GetAsync("http://retrygw:9080/x?status=502");
        Assert.Equal(HttpStatusCode.BadGateway, status502);
        Assert.Equal(4, mesh.B1.Requests - requests);
    }

    [Fact]
    public async Task Retries_BackendAlwaysResets_RetriedOnlyWhenRetryOnSaysReset()
    {
        await ReachableAsync("retryreset", "b3");
        await ReachableAsync("noretryreset", "b3");

        var requests = mesh.B3.Requests;
        var (status, body) = await GetAsync("http://retryreset:9080/x?reset=1");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("upstream connect error or disconnect/reset before headers. retried and the latest reset reason", body, StringComparison.Ordinal);
        Assert.Equal(3, mesh.B3.Requests - requests);

        requests = mesh.B3.Requests;
        (status, body) = await GetAsync("http://noretryreset:9080/x?reset=1");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("upstream connect error or disconnect/reset before headers. reset reason: connection termination", body, StringComparison.Ordinal);
        Assert.Equal(1, mesh.B3.Requests - requests);
    }

    [Fact]
    public async Task Retries_FirstTryReset_RetriedOnAFreshConnectionAndServed()
    {
        await MeshHarness.UntilAsync(Client, Get("http://flakyreset:9080/ready"), (r, b) => r.StatusCode == HttpStatusCode.OK && b == "fresh", "flakyreset reachable");
        var retries = await MeshHarness.StatAsync(Client, HttpMeshes.ClusterStat("flakyreset", "upstream_rq_retry"));
        var successes = await MeshHarness.StatAsync(Client, HttpMeshes.ClusterStat("flakyreset", "upstream_rq_retry_success"));
        var requests = mesh.Resetting.Requests;
        mesh.Resetting.ResetNext(1);

        var (status, body) = await GetAsync("http://flakyreset:9080/once");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("fresh", body);
        Assert.Equal(2, mesh.Resetting.Requests - requests);
        Assert.Equal(retries + 1, await MeshHarness.StatAtLeastAsync(Client, HttpMeshes.ClusterStat("flakyreset", "upstream_rq_retry"), retries + 1));
        Assert.Equal(successes + 1, await MeshHarness.StatAtLeastAsync(Client, HttpMeshes.ClusterStat("flakyreset", "upstream_rq_retry_success"), successes + 1));
    }

    [Fact]
    public async Task Retries_PostWhoseBodyWasSent_IsNotResentAndItsAnswerPassesThrough()
    {
        await ReachableAsync("retrypost");
        var requests = mesh.B1.Requests;
        mesh.B1.FailNext(1);

        var (status, body) = await SendAsync(new HttpRequestMessage(HttpMethod.Post, "http://retrypost:9080/orders") { Content = new StringContent("{\"order\":1}") });

        Assert.Equal(1, mesh.B1.Requests - requests);
        // The backend's own 503 (it read the body), not a reset made up by the proxy.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("{\"order\":1}", HttpMeshes.Echoed(body, "body"));
    }

    [Fact]
    public async Task Timeout_BackendSlowerThanRoute_504UpstreamRequestTimeout()
    {
        await ReachableAsync("timeout");
        var ut = await FlagCountAsync("UT");

        var (status, body) = await GetAsync("http://timeout:9080/slow?delay=3000");

        Assert.Equal(HttpStatusCode.GatewayTimeout, status);
        Assert.Equal("upstream request timeout", body);
        await AssertFlagCountAsync("UT", ut + 1);
    }

    [Fact]
    public async Task Timeout_PerTry_EachTryTimesOutThenRetried_Then504()
    {
        await ReachableAsync("pertry");
        var perTry = await MeshHarness.StatAsync(Client, HttpMeshes.ClusterStat("pertry", "upstream_rq_per_try_timeout"));
        var requests = mesh.B1.Requests;

        var (status, body) = await GetAsync("http://pertry:9080/slow?delay=3000");

        Assert.Equal(HttpStatusCode.GatewayTimeout, status);
        Assert.Equal("upstream request timeout", body);
        await MeshHarness.Eventually(() => Task.FromResult(mesh.B1.Requests - requests == 3), "three tries at b1", () => $"{mesh.B1.Requests - requests} tries");
        Assert.Equal(perTry + 3, await MeshHarness.StatAtLeastAsync(Client, HttpMeshes.ClusterStat("pertry", "upstream_rq_per_try_timeout"), perTry + 3));
    }

    [Fact]
    public async Task ConnectFailure_OnlyWorkloadsAppDown_503UpstreamConnectError_FlaggedUF()
    {
        await HttpMeshes.WaitForRoutesAsync(Client, "dead");
        using var answer = await MeshHarness.UntilAsync(Client, Get("http://dead:9080/"), (r, _) => r.StatusCode != HttpStatusCode.NotFound, "dead routed");
        var (status, body) = (answer.StatusCode, await answer.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("upstream connect error", body, StringComparison.Ordinal);
        // The workload's own sidecar could not connect to its app.
        Assert.True(await HttpMeshes.StatSumAsync(mesh.DeadProxy, ".response_flags.UF") >= 1, await MeshHarness.StatsAsync(mesh.DeadProxy));
    }

    [Fact]
    public async Task ConnectFailure_NothingListening_503UF_AtTheClient()
    {
        var uf = await FlagCountAsync("UF");

        var (status, body) = await GetAsync("http://refused:9080/");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("upstream connect error", body, StringComparison.Ordinal);
        Assert.Contains("remote connection failure", body, StringComparison.Ordinal);
        await AssertFlagCountAsync("UF", uf + 1);
        Assert.True(await MeshHarness.StatAtLeastAsync(Client, HttpMeshes.ClusterStat("refused", "upstream_cx_connect_fail"), 1) >= 1);
    }

    [Fact]
    public async Task ConnectFailure_RetryOnConnectFailure_EveryRequestServedByTheLiveEndpoint()
    {
        for (var i = 0; i < 10; i++)
        {
            var (status, body) = await GetAsync("http://cf:9080/");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("b3", MeshHarness.BackendOf(body));
        }

        Assert.True(await MeshHarness.StatAtLeastAsync(Client, HttpMeshes.ClusterStat("cf", "upstream_cx_connect_fail"), 1) >= 1, await MeshHarness.StatsAsync(Client));
        Assert.True(await MeshHarness.StatAtLeastAsync(Client, HttpMeshes.ClusterStat("cf", "upstream_rq_retry"), 1) >= 1);
    }

    [Fact]
    public async Task NoEndpoints_503NoHealthyUpstream_FlaggedUH()
    {
        var uh = await FlagCountAsync("UH");

        var (status, body) = await GetAsync("http://none:9080/");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("no healthy upstream", body);
        await AssertFlagCountAsync("UH", uh + 1);
    }

    [Fact]
    public async Task CircuitBreaker_ConcurrentSlowRequests_SomeOverflowWith503UO()
    {
        await ReachableAsync("cb");
        var uo = await FlagCountAsync("UO");

        using var http = Client.AppClient();
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await http.GetAsync("http://cb:9080/slow?delay=1500");
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }));

        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.OK);
        var overflowed = answers.Where(a => a.StatusCode == HttpStatusCode.ServiceUnavailable).ToArray();
        Assert.NotEmpty(overflowed);
        Assert.All(overflowed, a => Assert.Equal("upstream connect error or disconnect/reset before headers. reset reason: overflow", a.Body));
        Assert.True(await MeshHarness.StatAtLeastAsync(Client, HttpMeshes.ClusterStat("cb", "upstream_rq_pending_overflow"), 1) > 0);
        await AssertFlagCountAsync("UO", uo + overflowed.Length);
    }

    [Fact]
    public async Task OutlierDetection_FailingEndpoint_IsEjectedAndTheOtherServesAll()
    {
        await ReachableAsync("od", "b1");
        await ReachableAsync("od", "b2");
        var b1Address = $"{mesh.B1Proxy.Ip}:9080";
        using var admin = new HttpClient();
        var clusters = string.Empty;
        mesh.B1.FailNext(int.MaxValue);
        try
        {
            await MeshHarness.Eventually(
                async () =>
                {
                    using var http = Client.AppClient();
                    (await http.GetAsync("http://od:9080/")).Dispose();
                    clusters = await admin.GetStringAsync(Client.Admin("/clusters"));
                    return clusters.Split('\n').Any(l => l.Contains("od.default.svc.cluster.local::" + b1Address + "::health_flags::", StringComparison.Ordinal) && l.Contains("failed_outlier_check", StringComparison.Ordinal));
                },
                "b1 ejected from od",
                () => clusters);

            var requests = mesh.B1.Requests;
            for (var i = 0; i < 20; i++)
            {
                var (status, body) = await GetAsync("http://od:9080/");
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Equal("b2", MeshHarness.BackendOf(body));
            }

            Assert.Equal(requests, mesh.B1.Requests);
        }
        finally
        {
            mesh.B1.FailNext(0);
        }
    }

    private async Task<Dictionary<string, int>> CountAsync(string url, int requests, string? user = null)
    {
        using var http = Client.AppClient();
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < requests; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (user != null)
            {
                request.Headers.Add("x-user", user);
            }

            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {body}");
            var backend = MeshHarness.BackendOf(body);
            counts[backend] = counts.GetValueOrDefault(backend) + 1;
        }

        return counts;
    }

    private async Task AllThreeReachableAsync(string host)
    {
        foreach (var backend in new[] { "b1", "b2", "b3" })
        {
            await ReachableAsync(host, backend);
        }
    }

    [Fact]
    public async Task LoadBalancing_RoundRobin_SpreadsEvenlyOverThree()
    {
        await AllThreeReachableAsync("rr");

        var counts = await CountAsync("http://rr:9080/", 30);

        Assert.Equal(new Dictionary<string, int> { ["b1"] = 10, ["b2"] = 10, ["b3"] = 10 }, counts);
    }

    [Fact]
    public async Task LoadBalancing_ConsistentHashOnHeader_OneUserAlwaysOneEndpoint()
    {
        await AllThreeReachableAsync("hash");
        var chosen = new HashSet<string>();

        for (var user = 0; user < 12; user++)
        {
            var counts = await CountAsync("http://hash:9080/", 6, "user-" + user);
            var only = Assert.Single(counts);
            chosen.Add(only.Key);
        }

        // Twelve users over three endpoints do not all land on one (odds about 3 in a million).
        Assert.True(chosen.Count > 1, string.Join(",", chosen));
    }

    private static IEnumerable<JsonElement> Objects(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            yield return element;
            foreach (var property in element.EnumerateObject())
            {
                foreach (var inner in Objects(property.Value))
                {
                    yield return inner;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                foreach (var inner in Objects(item))
                {
                    yield return inner;
                }
            }
        }
    }

    [Fact]
    public async Task LoadBalancing_LeastRequest_ServesFromEveryEndpoint()
    {
        await AllThreeReachableAsync("least");

        var counts = await CountAsync("http://least:9080/", 60);

        Assert.Equal(["b1", "b2", "b3"], counts.Keys.Order().ToArray());
        using var admin = new HttpClient();
        var dump = await admin.GetStringAsync(Client.Admin("/config_dump"));
        var policies = Objects(JsonDocument.Parse(dump).RootElement)
            .Where(o => o.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String && name.GetString() == "outbound|9080||least.default.svc.cluster.local")
            .Select(o => o.TryGetProperty("lbPolicy", out var p) || o.TryGetProperty("lb_policy", out p) ? p.GetString() : null)
            .ToArray();
        Assert.Contains("LEAST_REQUEST", policies);
    }
}
