using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Meshwork.Meshd.Tests;

/// <summary>meshd and a real mesh-proxy process: the proxy registers, receives its config over delta ADS, and survives meshd's absence.</summary>
public sealed class MeshProxyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mesh-proxy-").FullName;

    public MeshProxyTests()
    {
        File.WriteAllText(Path.Combine(_dir, "catalog.yaml"), """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: catalog, namespace: shop}
            spec:
              hosts: [catalog.shop.svc.cluster.local]
              location: MESH_INTERNAL
              ports: [{number: 9080, name: http, protocol: HTTP}]
              resolution: STATIC
              workloadSelector: {labels: {app: catalog}}
            """);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Process StartProxy(int discoveryPort, int adminPort, string mode, StringBuilder output)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "mesh-proxy.dll"), "--discovery-address", $"127.0.0.1:{discoveryPort}", "--workload", "catalog-v1-1",
            "--namespace", "shop", "--service-account", "catalog", "--ip", "127.0.0.11", "--labels", "app=catalog,version=v1",
            "--inbound", "9080=127.0.0.1:19080", "--admin-port", adminPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--xds-mode", mode,
        })
        {
            start.ArgumentList.Add(arg);
        }

        var process = ChildProcesses.Start(start);
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task Eventually(Func<Task<bool>> condition, string what, Func<string> context)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"timed out waiting for {what}\n{context()}");
            await Task.Delay(50);
        }
    }

    private static Task<(int Exit, string Output)> RunMeshctlAsync(params string[] args) => MeshdProcess.RunToolAsync("meshctl.dll", args);

    [Theory]
    [InlineData("delta")]
    [InlineData("sotw")]
    public async Task Proxy_RegistersGetsItsConfigAndKeepsItWhileMeshdIsAway(string mode)
    {
        var output = new StringBuilder();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var meshd = MeshdProcess.Start("--config-dir", _dir);
        Process? proxy = null;
        try
        {
            await meshd.WaitReadyAsync();

            // Taken once meshd holds its ports, so the two cannot collide.
            var adminPort = LoopbackPorts.FreePort();
            proxy = StartProxy(meshd.XdsPort, adminPort, mode, output);
            string Context() => output + "\nmeshd:\n" + meshd.Output;

            await Eventually(async () => (await http.GetAsync($"http://127.0.0.1:{adminPort}/ready")).IsSuccessStatusCode, "the proxy ready", Context);
            await Eventually(async () => (await http.GetStringAsync(meshd.Monitoring("/debug/registryz"))).Contains("\"127.0.0.11\"", StringComparison.Ordinal), "the proxy's workload registered", Context);
            await Eventually(async () => (await http.GetStringAsync(meshd.Monitoring("/debug/syncz"))).Split("SYNCED").Length - 1 >= 4, "CDS, LDS, EDS and RDS synced", Context);
            Assert.Contains($"\"delta\": {(mode == "delta" ? "true" : "false")}", await http.GetStringAsync(meshd.Monitoring("/debug/syncz")));

            var dump = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{adminPort}/config_dump")).RootElement;
            var clusters = dump.GetProperty("configs").EnumerateArray().Single(c => c.GetProperty("type").GetString()!.EndsWith("Cluster", StringComparison.Ordinal));
            Assert.Contains(clusters.GetProperty("resources").EnumerateArray(), r => r.GetProperty("name").GetString() == "outbound|9080||catalog.shop.svc.cluster.local");
            var endpoints = dump.GetProperty("configs").EnumerateArray().Single(c => c.GetProperty("type").GetString()!.EndsWith("ClusterLoadAssignment", StringComparison.Ordinal));
            Assert.Contains("127.0.0.11", endpoints.ToString());

            var (exit, table) = await RunMeshctlAsync("proxy-config", "cluster", "--admin", $"127.0.0.1:{adminPort}");
            Assert.Equal(0, exit);
            Assert.Matches(@"(?m)^catalog\.shop\.svc\.cluster\.local\s+9080\s+-\s+outbound\s+EDS$", table);
            (exit, table) = await RunMeshctlAsync("proxy-config", "endpoint", "--admin", $"127.0.0.1:{adminPort}");
            Assert.Matches(@"(?m)^127\.0\.0\.11:9080\s+HEALTHY\s+OK\s+outbound\|9080\|\|catalog\.shop\.svc\.cluster\.local$", table);

            // meshd goes away: the proxy keeps serving what it has, then reconnects when meshd is back.
            var xdsPort = meshd.XdsPort;
            await meshd.DisposeAsync();
            Assert.True((await http.GetAsync($"http://127.0.0.1:{adminPort}/ready")).IsSuccessStatusCode);
            Assert.Contains("outbound|9080||catalog.shop.svc.cluster.local", await http.GetStringAsync($"http://127.0.0.1:{adminPort}/config_dump"));
            meshd = MeshdProcess.StartOn(xdsPort, "--config-dir", _dir);
            await meshd.WaitReadyAsync();
            await Eventually(async () => (await http.GetStringAsync(meshd.Monitoring("/debug/syncz"))).Contains("catalog-v1-1.shop", StringComparison.Ordinal), "the proxy reconnected", Context);

            // /quitquitquit stops it.
            await http.PostAsync($"http://127.0.0.1:{adminPort}/quitquitquit", null);
            using var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await proxy.WaitForExitAsync(stopped.Token);
            Assert.Equal(0, proxy.ExitCode);
            Assert.DoesNotContain("fail:", output.ToString());
        }
        finally
        {
            if (proxy is { HasExited: false })
            {
                proxy.Kill(entireProcessTree: true);
            }

            proxy?.Dispose();
            await meshd.DisposeAsync();
        }
    }
}
