using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>"web" and "flaky" (TestBackends, HTTP 9080) and a client sidecar; flaky has outlier detection that ejects at the first 5xx.</summary>
public sealed class EdgeAdminMesh : IAsyncLifetime
{
    public const string WebCluster = "outbound|9080||web.default.svc.cluster.local";
    public const string FlakyCluster = "outbound|9080||flaky.default.svc.cluster.local";

    public MeshHarness Mesh { get; private set; } = null!;

    public ProxyProcess Client { get; private set; } = null!;

    public ProxyProcess Web { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Mesh = await MeshHarness.StartAsync(
            ("services.yaml", EdgeProtocolMesh.Service("web", 9080, "HTTP") + "---\n" + EdgeProtocolMesh.Service("flaky", 9080, "HTTP")),
            ("flaky-dr.yaml", """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: flaky, namespace: default}
                spec:
                  host: flaky.default.svc.cluster.local
                  trafficPolicy:
                    outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 5m, maxEjectionPercent: 100}
                """));
        Web = (await Mesh.AddWorkloadAsync("web", "default", "app=web")).Proxy;
        await Mesh.AddWorkloadAsync("flaky", "default", "app=flaky");
        Client = await Mesh.AddClientAsync("client", "default", "app=client");
        await MeshHarness.UntilAsync(Client, () => new HttpRequestMessage(HttpMethod.Get, "http://web.default.svc.cluster.local:9080/warm"), (r, _) => r.IsSuccessStatusCode, "web reachable");
    }

    public async Task DisposeAsync() => await Mesh.DisposeAsync();
}

/// <summary>The admin API of a running proxy, and meshctl proxy-config against it.</summary>
public sealed class EdgeAdminTests(EdgeAdminMesh mesh) : IClassFixture<EdgeAdminMesh>
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private string HttpPrefix => $"http.outbound_{mesh.Client.Ip}_15001";

    private async Task SendAsync(string url, int count)
    {
        using var app = mesh.Client.AppClient();
        for (var i = 0; i < count; i++)
        {
            using var response = await app.GetAsync(url);
        }
    }

    private async Task<string> MeshctlAsync(params string[] args)
    {
        var (exit, output) = await MeshdProcess.RunToolAsync("meshctl.dll", ["proxy-config", .. args, "--admin", $"127.0.0.1:{mesh.Client.AdminPort}"]);
        Assert.True(exit == 0, output);
        return output;
    }

    [Fact]
    public async Task Stats_Requests_MoveClusterAndHttpCounters()
    {
        var clusterBefore = await MeshHarness.StatAsync(mesh.Client, $"cluster.{EdgeAdminMesh.WebCluster}.upstream_rq_total");
        var httpBefore = await MeshHarness.StatAsync(mesh.Client, $"{HttpPrefix}.downstream_rq_2xx");

        await SendAsync("http://web.default.svc.cluster.local:9080/counted", 3);

        var stats = await MeshHarness.StatsAsync(mesh.Client);
        Assert.True(await MeshHarness.StatAtLeastAsync(mesh.Client, $"cluster.{EdgeAdminMesh.WebCluster}.upstream_rq_total", clusterBefore + 3) >= clusterBefore + 3, stats);
        Assert.True(await MeshHarness.StatAtLeastAsync(mesh.Client, $"cluster.{EdgeAdminMesh.WebCluster}.upstream_rq_200", 3) >= 3, stats);
        Assert.True(await MeshHarness.StatAtLeastAsync(mesh.Client, $"{HttpPrefix}.downstream_rq_2xx", httpBefore + 3) >= httpBefore + 3, stats);
        Assert.Contains($"{HttpPrefix}.downstream_rq_total: ", stats, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatsPrometheus_IsValidExpositionTextWithEnvoyNames()
    {
        await SendAsync("http://web.default.svc.cluster.local:9080/prom", 1);

        using var response = await Http.GetAsync(mesh.Client.Admin("/stats/prometheus"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var sample = new Regex("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\"\\\\n])*\"(?:,[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\"\\\\n])*\")*\\})? -?[0-9]+(\\.[0-9]+)?$");
        var typed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Assert.True(parts.Length == 4 && parts[3] is "counter" or "gauge" or "histogram" or "untyped", line);
                Assert.True(typed.Add(parts[2]), $"family {parts[2]} typed twice");
                continue;
            }

            var match = sample.Match(line);
            Assert.True(match.Success, $"not a sample line: {line}");
            // A histogram's samples carry its family name with _bucket, _sum or _count (Istio's duration and sizes).
            var name = match.Groups[1].Value;
            var family = typed.Contains(name) ? name : Regex.Replace(name, "_(bucket|sum|count)$", string.Empty);
            Assert.Contains(family, typed);
        }

        var total = new Regex($"^envoy_cluster_upstream_rq_total\\{{envoy_cluster_name=\"{Regex.Escape(EdgeAdminMesh.WebCluster)}\"\\}} ([0-9]+)$", RegexOptions.Multiline).Match(text);
        Assert.True(total.Success, text);
        Assert.True(long.Parse(total.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Contains($"envoy_http_downstream_rq_total{{envoy_http_conn_manager_prefix=\"outbound_{mesh.Client.Ip}_15001\"}} ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clusters_ListEachHostWithCountersAndHealth()
    {
        await SendAsync("http://web.default.svc.cluster.local:9080/clusters", 1);

        var text = await Http.GetStringAsync(mesh.Client.Admin("/clusters"));

        var host = $"{EdgeAdminMesh.WebCluster}::{mesh.Web.Ip}:9080::";
        Assert.Contains(host + "health_flags::healthy\n", text, StringComparison.Ordinal);
        Assert.Matches(new Regex("^" + Regex.Escape(host) + "rq_total::[1-9][0-9]*$", RegexOptions.Multiline), text);
        Assert.Contains(host + "cx_active::", text, StringComparison.Ordinal);
        Assert.Contains($"{EdgeAdminMesh.WebCluster}::default_priority::max_connections::", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listeners_ShowWhatIsBound()
    {
        var text = await Http.GetStringAsync(mesh.Web.Admin("/listeners"));
        var json = JsonDocument.Parse(await Http.GetStringAsync(mesh.Web.Admin("/listeners?format=json"))).RootElement;

        Assert.Contains($"virtualOutbound::{mesh.Web.Ip}:15001\n", text, StringComparison.Ordinal);
        Assert.Contains($"::{mesh.Web.Ip}:9080\n", text, StringComparison.Ordinal);
        Assert.Contains(json.EnumerateArray(), l => l.GetProperty("address").GetString() == $"{mesh.Web.Ip}:9080");
    }

    [Fact]
    public async Task Memory_ReportsHeapAndResidentSetFromTheRuntime()
    {
        var json = JsonDocument.Parse(await Http.GetStringAsync(mesh.Web.Admin("/memory"))).RootElement;

        long Bytes(string name) => long.Parse(json.GetProperty(name).GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        // The heap figures describe the last collection, so they may still be zero in a young proxy.
        Assert.True(Bytes("allocated") > 0);
        Assert.True(Bytes("heap_committed") >= 0 && Bytes("heap_size") >= 0);
        Assert.True(json.GetProperty("threads").GetInt32() > 0);
        Assert.True(Bytes("resident") > Bytes("allocated"), "the resident set holds the heap and the binary");
        Assert.True(Bytes("resident_anonymous") > 0 && Bytes("resident_file") > 0);
        Assert.True(Bytes("resident_anonymous") + Bytes("resident_file") <= Bytes("resident"), "anonymous and file-backed pages are parts of one read of the resident set");
        var generations = json.GetProperty("heap_generations");
        foreach (var generation in new[] { "gen0", "gen1", "gen2", "large_object_heap", "pinned_object_heap" })
        {
            Assert.True(long.Parse(generations.GetProperty(generation).GetProperty("size").GetString()!, System.Globalization.CultureInfo.InvariantCulture) >= 0, generation);
        }
    }

    [Fact]
    public void Threads_NoConfigFileWatcher()
    {
        // The proxy is configured by flags and xDS only; a file watcher would be one more thread per sidecar.
        var names = Directory.GetDirectories($"/proc/{mesh.Web.Pid}/task").Select(t => File.ReadAllText(Path.Combine(t, "comm")).Trim()).ToList();
        Assert.NotEmpty(names);
        Assert.DoesNotContain(".NET File Watch", names);
    }

    [Fact]
    public async Task Logging_GetListsPostChangesBadLevelIs400()
    {
        var listed = await Http.GetStringAsync(mesh.Web.Admin("/logging"));
        Assert.Contains("  http: info\n", listed, StringComparison.Ordinal);

        try
        {
            using var all = await Http.PostAsync(mesh.Web.Admin("/logging?level=debug"), null);
            Assert.Equal(HttpStatusCode.OK, all.StatusCode);
            var after = await Http.GetStringAsync(mesh.Web.Admin("/logging"));
            Assert.Contains("  http: debug\n", after, StringComparison.Ordinal);
            Assert.Contains("  connection: debug\n", after, StringComparison.Ordinal);

            using var one = await Http.PostAsync(mesh.Web.Admin("/logging?http=warning"), null);
            Assert.Equal(HttpStatusCode.OK, one.StatusCode);
            Assert.Contains("  http: warning\n", await one.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            using var badLevel = await Http.PostAsync(mesh.Web.Admin("/logging?level=loud"), null);
            Assert.Equal(HttpStatusCode.BadRequest, badLevel.StatusCode);
            using var badLogger = await Http.PostAsync(mesh.Web.Admin("/logging?nosuch=debug"), null);
            Assert.Equal(HttpStatusCode.BadRequest, badLogger.StatusCode);
            Assert.Contains("  http: warning\n", await Http.GetStringAsync(mesh.Web.Admin("/logging")), StringComparison.Ordinal);
        }
        finally
        {
            (await Http.PostAsync(mesh.Web.Admin("/logging?level=info"), null)).Dispose();
        }
    }

    [Fact]
    public async Task Ready_LiveProxy_Answers200Live()
    {
        using var response = await Http.GetAsync(mesh.Client.Admin("/ready"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("LIVE\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ProxyConfig_TablesAndJson_DescribeTheRunningProxy()
    {
        var clusters = await MeshctlAsync("cluster");
        Assert.Matches(new Regex(@"^web\.default\.svc\.cluster\.local\s+9080\s+-\s+outbound\s+EDS$", RegexOptions.Multiline), clusters);

        var listeners = await MeshctlAsync("listener");
        Assert.Matches(new Regex(@"^NAME\s+ADDRESS\s+PORT$", RegexOptions.Multiline), listeners);
        Assert.Matches(new Regex(@"^virtualOutbound\s+\S+\s+15001$", RegexOptions.Multiline), listeners);

        var routes = await MeshctlAsync("route");
        Assert.Matches(new Regex(@"^NAME\s+VHOST NAME\s+DOMAINS\s+MATCH$", RegexOptions.Multiline), routes);
        Assert.Matches(new Regex(@"^outbound\s+web\.default\.svc\.cluster\.local:9080\s+web\.default\.svc\.cluster\.local, .* more\s+/\*$", RegexOptions.Multiline), routes);

        var json = JsonDocument.Parse(await MeshctlAsync("cluster", "-o", "json")).RootElement;
        Assert.Contains(json.EnumerateArray(), c => c.GetProperty("name").GetString() == EdgeAdminMesh.WebCluster);

        var all = await MeshctlAsync("all");
        Assert.Contains("SERVICE FQDN", all, StringComparison.Ordinal);
        Assert.Contains("VHOST NAME", all, StringComparison.Ordinal);
        Assert.Contains("OUTLIER CHECK", all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProxyConfigEndpoint_ShowsHealthAndOutlierEjection()
    {
        var healthy = await MeshctlAsync("endpoint");
        Assert.Matches(new Regex(@"^ENDPOINT\s+STATUS\s+OUTLIER CHECK\s+CLUSTER$", RegexOptions.Multiline), healthy);
        Assert.Matches(new Regex($@"^{Regex.Escape(mesh.Web.Ip)}:9080\s+HEALTHY\s+OK\s+{Regex.Escape(EdgeAdminMesh.WebCluster)}$", RegexOptions.Multiline), healthy);

        // One 503 from flaky's only host ejects it (consecutive5xxErrors: 1).
        await MeshHarness.UntilAsync(mesh.Client, () => new HttpRequestMessage(HttpMethod.Get, "http://flaky.default.svc.cluster.local:9080/?status=503"), (r, _) => (int)r.StatusCode == 503, "flaky answers 503");
        string table = string.Empty;
        await MeshHarness.Eventually(
            async () =>
            {
                table = await MeshctlAsync("endpoint");
                return Regex.IsMatch(table, @"\s+HEALTHY\s+FAILED\s+" + Regex.Escape(EdgeAdminMesh.FlakyCluster), RegexOptions.Multiline);
            },
            "flaky's host shown as ejected",
            () => table);
        Assert.Matches(new Regex($@"^{Regex.Escape(mesh.Web.Ip)}:9080\s+HEALTHY\s+OK\s+", RegexOptions.Multiline), table);
    }
}
