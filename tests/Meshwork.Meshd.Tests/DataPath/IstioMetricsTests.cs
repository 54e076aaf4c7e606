using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>
/// Istio's standard metrics from real sidecars: a client ("sleep") calls an HTTP service ("web")
/// and a TCP service ("db") through its sidecar, in plaintext; each side's /stats/prometheus then
/// holds the series Istio's proxies report, with every label, and the status port merges the
/// app's own metrics.
/// </summary>
public sealed class IstioMetricsTests : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];
    private MeshHarness _mesh = null!;
    private ProxyProcess _web = null!;
    private ProxyProcess _db = null!;
    private ProxyProcess _client = null!;

    public async Task InitializeAsync()
    {
        _mesh = await MeshHarness.StartAsync(
            ("web.yaml", HttpMeshes.Service("web", "app: web")),
            ("db.yaml", EdgeProtocolMesh.Service("db", 9000, "TCP")));
        var app = await _mesh.AddBackendAsync("web");
        _web = ProxyProcess.Start(_mesh.Meshd.XdsPort, "web-v1", "default", _mesh.NextIp(), "app=web,version=v1", "web", [$"9080=127.0.0.1:{app.Port}"], "sidecar",
            "--app-metrics", $"http://127.0.0.1:{app.Port}/metrics");
        _mesh.Own(_web);
        await _mesh.WaitReadyAsync(_web);
        var echo = TcpEchoServer.Start();
        _owned.Add(echo);
        _db = await EdgeProtocolMesh.StartSidecarAsync(_mesh, _owned, "db", "app=db", $"9000=127.0.0.1:{echo.Port}");
        _client = ProxyProcess.Start(_mesh.Meshd.XdsPort, "sleep", "default", _mesh.NextIp(), "app=sleep,version=v2", "sleep", [], "sidecar",
            "--app-metrics", "http://127.0.0.1:1/metrics");
        _mesh.Own(_client);
        await _mesh.WaitReadyAsync(_client);
        await EdgeProtocolMesh.WaitBoundAsync(_mesh, _web, $"{_web.Ip}:9080");
    }

    public async Task DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        await _mesh.DisposeAsync();
    }

    [Fact]
    public async Task Http_ClientToServerSidecar_BothReportIstiosLabelsAndTheAppNeverSeesPeerMetadata()
    {
        var ok = await MeshHarness.UntilAsync(_client, () => Get("/hello"), (r, _) => r.StatusCode == HttpStatusCode.OK, "sleep → web");
        var body = await ok.Content.ReadAsStringAsync();
        using var http = _client.AppClient(TimeSpan.FromSeconds(10));
        using var notFound = await http.SendAsync(Get("/missing?status=404"));
        using var unavailable = await http.SendAsync(Get("/down?status=503"));

        Assert.Null(HttpMeshes.EchoedHeader(body, "x-envoy-peer-metadata"));
        Assert.Null(HttpMeshes.EchoedHeader(body, "x-envoy-peer-metadata-id"));
        Assert.False(ok.Headers.Contains("x-envoy-peer-metadata"));
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.ServiceUnavailable), (notFound.StatusCode, unavailable.StatusCode));

        var client = await SampleAsync(_client, "istio_requests_total", ("reporter", "source"), ("response_code", "200"), ("response_flags", "-"));
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["reporter"] = "source",
                ["source_workload"] = "sleep", ["source_canonical_service"] = "sleep", ["source_canonical_revision"] = "v2",
                ["source_workload_namespace"] = "default", ["source_principal"] = "unknown", ["source_app"] = "sleep",
                ["source_version"] = "v2", ["source_cluster"] = "Kubernetes",
                ["destination_workload"] = "web-v1", ["destination_workload_namespace"] = "default", ["destination_principal"] = "unknown",
                ["destination_app"] = "web", ["destination_version"] = "v1", ["destination_service"] = "web.default.svc.cluster.local",
                ["destination_canonical_service"] = "web", ["destination_canonical_revision"] = "v1",
                ["destination_service_name"] = "web.default.svc.cluster.local", ["destination_service_namespace"] = "default",
                ["destination_cluster"] = "Kubernetes", ["connection_security_policy"] = "unknown",
                ["request_protocol"] = "http", ["response_code"] = "200", ["grpc_response_status"] = string.Empty, ["response_flags"] = "-",
            },
            client.Labels);

        var server = await SampleAsync(_web, "istio_requests_total", ("reporter", "destination"), ("response_code", "200"));
        Assert.Equal(client.Labels.Keys.Order(), server.Labels.Keys.Order());
        foreach (var (name, value) in client.Labels.Where(l => l.Key is not ("reporter" or "connection_security_policy")))
        {
            Assert.True(server.Labels[name] == value, $"{name}: client {value}, server {server.Labels[name]}");
        }

        Assert.Equal("none", server.Labels["connection_security_policy"]);

        // Each status the app answered once: one request in its series; the 503 was tried three
        // times by the client's sidecar (Istio's default retry policy), which the server counts.
        foreach (var (proxy, tries) in new[] { (_client, 1), (_web, 3) })
        {
            Assert.Equal(1, (await SampleAsync(proxy, "istio_requests_total", ("response_code", "404"), ("destination_workload", "web-v1"))).Value);
            Assert.Equal(tries, (await SampleAsync(proxy, "istio_requests_total", ("response_code", "503"), ("destination_workload", "web-v1"))).Value);

            var duration = await SampleAsync(proxy, "istio_request_duration_milliseconds_count", ("response_code", "404"), ("destination_workload", "web-v1"));
            Assert.Equal(1, duration.Value);
            var size = await SampleAsync(proxy, "istio_response_bytes_bucket", ("response_code", "404"), ("destination_workload", "web-v1"), ("le", "+Inf"));
            Assert.Equal(1, size.Value);
        }
    }

    [Fact]
    public async Task Tcp_ClientToServerSidecar_ConnectionsAndBytesOnBothSides()
    {
        var payload = Encoding.ASCII.GetBytes("ping over the mesh\n");
        await MeshHarness.Eventually(
            async () =>
            {
                using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await socket.ConnectAsync(IPAddress.Parse(_client.Ip), 9000, timeout.Token);
                await socket.SendAsync(payload, SocketFlags.None, timeout.Token);
                socket.Shutdown(SocketShutdown.Send);
                var received = new MemoryStream();
                var buffer = new byte[256];
                int read;
                while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
                {
                    received.Write(buffer, 0, read);
                }

                // The echo app answers what it got, then "[eof]" when our side ends.
                return received.ToArray().SequenceEqual([.. payload, .. "[eof]"u8]);
            },
            "an echo through sleep's and db's sidecars",
            () => _client.Output + "\n--- db ---\n" + _db.Output);

        var closed = await SampleAsync(_client, "istio_tcp_connections_closed_total", ("reporter", "source"), ("destination_service", "db.default.svc.cluster.local"));
        Assert.Equal("sleep", closed.Labels["source_workload"]);
        Assert.Equal("db", closed.Labels["destination_workload"]);
        Assert.Equal("unknown", closed.Labels["connection_security_policy"]);
        Assert.DoesNotContain("response_code", closed.Labels.Keys);
        var opened = await SampleAsync(_client, "istio_tcp_connections_opened_total", ("reporter", "source"), ("destination_service", "db.default.svc.cluster.local"));
        Assert.Equal(closed.Value, opened.Value);
        // Istio's directions: received from the client, sent back to it.
        var sent = await SampleAsync(_client, "istio_tcp_sent_bytes_total", ("reporter", "source"), ("destination_service", "db.default.svc.cluster.local"));
        var received = await SampleAsync(_client, "istio_tcp_received_bytes_total", ("reporter", "source"), ("destination_service", "db.default.svc.cluster.local"));
        Assert.Equal((closed.Value * payload.Length, closed.Value * (payload.Length + 5)), (received.Value, sent.Value));

        var server = await SampleAsync(_db, "istio_tcp_connections_opened_total", ("reporter", "destination"));
        Assert.Equal(("db", "db.default.svc.cluster.local", "none"), (server.Labels["destination_workload"], server.Labels["destination_service"], server.Labels["connection_security_policy"]));
        Assert.True((await SampleAsync(_db, "istio_tcp_received_bytes_total", ("reporter", "destination"))).Value >= payload.Length);
    }

    [Fact]
    public async Task StatusPort_AppMetricsNamed_MergedAfterTheProxysOwn_AndAnUnreachableAppLeavesOnlyTheProxys()
    {
        await MeshHarness.UntilAsync(_client, () => Get("/hello"), (r, _) => r.StatusCode == HttpStatusCode.OK, "sleep → web");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        string merged = string.Empty;
        await MeshHarness.Eventually(
            async () =>
            {
                merged = await http.GetStringAsync($"http://{_web.Ip}:15020/stats/prometheus");
                return merged.Contains("istio_requests_total{", StringComparison.Ordinal);
            },
            "web's status port with its requests",
            () => merged);

        Assert.Contains("envoy_", merged);
        // The app (a test backend) answers every path with JSON naming the path: it was asked for /metrics.
        Assert.Contains("\"path\":\"/metrics\"", merged);

        using var own = await http.GetAsync($"http://{_client.Ip}:15020/stats/prometheus");
        var text = await own.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Contains("envoy_", text);
    }

    [Fact]
    public async Task MeshctlXMetrics_AgainstTheServerSidecar_ShowsTheTrafficOfItsInboundSeries()
    {
        await MeshHarness.UntilAsync(_client, () => Get("/hello"), (r, _) => r.StatusCode == HttpStatusCode.OK, "sleep → web");
        using var stop = new CancellationTokenSource();
        var traffic = Task.Run(async () =>
        {
            using var http = _client.AppClient(TimeSpan.FromSeconds(10));
            while (!stop.IsCancellationRequested)
            {
                using var response = await http.SendAsync(Get("/steady"));
            }
        });

        var (exit, output) = await MeshdProcess.RunToolAsync("meshctl.dll", "x", "metrics", "web-v1", "--admin", $"127.0.0.1:{_web.AdminPort}", "--interval", "2s", "-o", "json");
        await stop.CancelAsync();
        await traffic;

        Assert.True(exit == 0, output);
        using var json = System.Text.Json.JsonDocument.Parse(output);
        Assert.Equal("web-v1", json.RootElement.GetProperty("workload").GetString());
        Assert.True(json.RootElement.GetProperty("totalRps").GetDouble() > 0, output);
        Assert.Equal(0, json.RootElement.GetProperty("errorPercent").GetDouble());
        Assert.True(json.RootElement.GetProperty("p50Ms").GetDouble() > 0, output);
    }

    [Fact]
    public async Task Telemetry_RequestCountDisabledForTheServer_ServerStopsReportingItClientGoesOn()
    {
        await _mesh.ApplyAsync("telemetry.yaml", """
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: web-metrics, namespace: default}
            spec:
              selector: {matchLabels: {app: web}}
              metrics:
              - providers: [{name: prometheus}]
                overrides:
                - match: {metric: REQUEST_COUNT, mode: SERVER}
                  disabled: true
            """);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await MeshHarness.Eventually(
            async () => (await http.GetStringAsync(_web.Admin("/config_dump"))).Contains("\"requests_total\"", StringComparison.Ordinal),
            "web's inbound stats filter dropping requests_total",
            () => _web.Output);

        await MeshHarness.UntilAsync(_client, () => Get("/after"), (r, _) => r.StatusCode == HttpStatusCode.OK, "sleep → web");
        await SampleAsync(_web, "istio_request_duration_milliseconds_count", ("reporter", "destination"), ("response_code", "200"));
        await SampleAsync(_client, "istio_requests_total", ("reporter", "source"), ("response_code", "200"));

        var server = await http.GetStringAsync(_web.Admin("/stats/prometheus"));
        Assert.DoesNotContain("istio_requests_total{", server);
    }

    [Fact]
    public async Task Telemetry_TagOverridesForTheServer_RequestHostAddedAndRequestProtocolRemovedOnItsSeriesOnly()
    {
        // Istio's "customize metrics" example (request_host, destination_port from CEL), and request_protocol removed.
        await _mesh.ApplyAsync("telemetry.yaml", """
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: namespace-metrics, namespace: default}
            spec:
              metrics:
              - providers: [{name: prometheus}]
                overrides:
                - match: {metric: REQUEST_COUNT, mode: SERVER}
                  tagOverrides:
                    destination_port: {value: "string(destination.port)"}
                    request_host: {value: request.host}
                    request_protocol: {operation: REMOVE}
            """);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await MeshHarness.Eventually(
            async () => (await http.GetStringAsync(_web.Admin("/config_dump"))).Contains("\"request_host\"", StringComparison.Ordinal),
            "web's inbound stats filter carrying the tag overrides",
            () => _web.Output);

        await MeshHarness.UntilAsync(_client, () => Get("/tagged"), (r, _) => r.StatusCode == HttpStatusCode.OK, "sleep → web");

        var server = await SampleAsync(_web, "istio_requests_total", ("reporter", "destination"), ("response_code", "200"), ("request_host", "web.default.svc.cluster.local:9080"));
        Assert.False(server.Labels.ContainsKey("request_protocol"), string.Join(",", server.Labels.Keys));
        Assert.Equal("9080", server.Labels["destination_port"]);
        Assert.Equal(("sleep", "web-v1"), (server.Labels["source_workload"], server.Labels["destination_workload"]));
        // The other metrics on the server, and everything on the client, keep Istio's labels.
        var duration = await SampleAsync(_web, "istio_request_duration_milliseconds_count", ("reporter", "destination"), ("response_code", "200"));
        Assert.Equal(("http", false), (duration.Labels["request_protocol"], duration.Labels.ContainsKey("request_host")));
        var client = await SampleAsync(_client, "istio_requests_total", ("reporter", "source"), ("response_code", "200"));
        Assert.Equal(("http", false), (client.Labels["request_protocol"], client.Labels.ContainsKey("request_host")));
    }

    private static HttpRequestMessage Get(string path) => new(HttpMethod.Get, "http://web.default.svc.cluster.local:9080" + path);

    /// <summary>The one sample of <paramref name="metric"/> with these labels, waited for (recording follows the response by a moment).</summary>
    internal static async Task<PrometheusLine> SampleAsync(ProxyProcess proxy, string metric, params (string Name, string Value)[] labels)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        PrometheusLine[] matches = [];
        string text = string.Empty;
        await MeshHarness.Eventually(
            async () =>
            {
                text = await http.GetStringAsync(proxy.Admin("/stats/prometheus"));
                matches = text.Split('\n').Select(PrometheusLine.Parse).OfType<PrometheusLine>()
                    .Where(l => l.Name == metric && labels.All(want => l.Labels.GetValueOrDefault(want.Name) == want.Value))
                    .ToArray();
                return matches.Length > 0;
            },
            $"{metric} with {string.Join(",", labels)} at {proxy.Ip}",
            () => text);
        return Assert.Single(matches);
    }
}

/// <summary>The same call over STRICT mutual TLS (each sidecar holding its agent's certificate): principals and the security policy.</summary>
public sealed class IstioMetricsMutualTlsTests(Security.StrictMesh mesh) : IClassFixture<Security.StrictMesh>
{
    [Fact]
    public async Task Http_OverMutualTls_PrincipalsOnBothSidesAndMutualTlsAtTheServer()
    {
        await MeshHarness.UntilAsync(mesh.Client, Security.StrictMesh.Get, (r, _) => r.StatusCode == HttpStatusCode.OK, "sleep → web over mutual TLS");

        var client = await IstioMetricsTests.SampleAsync(mesh.Client, "istio_requests_total", ("reporter", "source"), ("response_code", "200"));
        var server = await IstioMetricsTests.SampleAsync(mesh.Server, "istio_requests_total", ("reporter", "destination"), ("response_code", "200"));

        foreach (var side in new[] { client, server })
        {
            Assert.Equal("spiffe://cluster.local/ns/default/sa/sleep", side.Labels["source_principal"]);
            Assert.Equal("spiffe://cluster.local/ns/default/sa/web", side.Labels["destination_principal"]);
            Assert.Equal(("sleep", "web"), (side.Labels["source_workload"], side.Labels["destination_workload"]));
        }

        Assert.Equal("unknown", client.Labels["connection_security_policy"]);
        Assert.Equal("mutual_tls", server.Labels["connection_security_policy"]);
    }
}

/// <summary>TCP over STRICT mutual TLS: the client sidecar originates mTLS for tcp_proxy as it does for HTTP, and the sidecars exchange workload metadata.</summary>
public sealed class TcpMutualTlsTests(Security.StrictMesh mesh) : IClassFixture<Security.StrictMesh>
{
    [Fact]
    public async Task Tcp_ThroughBothSidecarsUnderStrict_IsMutualTlsWithTheClientsPrincipal()
    {
        var payload = Encoding.ASCII.GetBytes("ping over mutual TLS\n");
        var echoed = Array.Empty<byte>();
        await MeshHarness.Eventually(
            async () =>
            {
                echoed = await EchoAsync(IPAddress.Parse(mesh.Client.Ip), payload);
                return echoed.SequenceEqual([.. payload, .. "[eof]"u8]);
            },
            "sleep → db over the TCP port under STRICT",
            () => System.Text.Encoding.ASCII.GetString(echoed) + "\n" + mesh.Client.Output + "\n--- db ---\n" + mesh.Db.Output);

        var server = await IstioMetricsTests.SampleAsync(mesh.Db, "istio_tcp_connections_opened_total", ("reporter", "destination"), ("connection_security_policy", "mutual_tls"));
        Assert.Equal("spiffe://cluster.local/ns/default/sa/sleep", server.Labels["source_principal"]);
        Assert.Equal("spiffe://cluster.local/ns/default/sa/db", server.Labels["destination_principal"]);
        // The client's workload came through Istio's TCP metadata exchange (ALPN istio-peer-exchange),
        // and the announcements never reached either app: the echo above is exactly the payload.
        Assert.Equal(("sleep", "sleep", "default"), (server.Labels["source_workload"], server.Labels["source_app"], server.Labels["source_workload_namespace"]));

        // The same port in plaintext, as a client without a sidecar would send: STRICT refuses it.
        Assert.Empty(await EchoAsync(IPAddress.Parse(mesh.Db.Ip), payload));
    }

    private static Task<byte[]> EchoAsync(IPAddress address, byte[] payload) => TcpEchoServer.ExchangeAsync(new IPEndPoint(address, 9000), payload);
}

/// <summary>One sample line of Prometheus text: name, labels, value.</summary>
internal sealed partial record PrometheusLine(string Name, Dictionary<string, string> Labels, double Value)
{
    public static PrometheusLine? Parse(string line)
    {
        var match = Sample().Match(line);
        if (!match.Success)
        {
            return null;
        }

        var labels = Label().Matches(match.Groups["labels"].Value).ToDictionary(m => m.Groups["k"].Value, m => Regex.Unescape(m.Groups["v"].Value));
        return new PrometheusLine(match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)$")]
    private static partial Regex Sample();

    [GeneratedRegex(@"(?<k>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<v>(\\.|[^""\\])*)""")]
    private static partial Regex Label();
}
