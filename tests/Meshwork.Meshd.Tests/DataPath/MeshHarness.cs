using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>
/// A small mesh on loopback for end-to-end tests: one meshd watching a config directory, and
/// workloads each with a plain backend app and its own mesh-proxy on a fresh 127.x.y.z address.
/// Every test gets its own address block, so test classes can run side by side. Disposing stops
/// every process it started, by PID.
/// </summary>
public sealed class MeshHarness : IAsyncDisposable
{
    private static int _blocks;
    private readonly int _block;
    private int _hosts;
    private readonly List<ProxyProcess> _proxies = [];
    private readonly List<TestBackend> _backends = [];

    private MeshHarness(MeshdProcess meshd, string configDirectory, int block)
    {
        Meshd = meshd;
        ConfigDirectory = configDirectory;
        _block = block;
    }

    public MeshdProcess Meshd { get; }

    public string ConfigDirectory { get; }

    public static Task<MeshHarness> StartAsync(params (string File, string Yaml)[] files) => StartWithMeshConfigAsync(null, files);

    /// <summary>As <see cref="StartAsync"/>, with meshd reading <paramref name="meshConfig"/> (MeshConfig YAML) when given.</summary>
    public static Task<MeshHarness> StartWithMeshConfigAsync(string? meshConfig, params (string File, string Yaml)[] files) => StartWithArgsAsync(meshConfig, [], [], files);

    /// <summary>
    /// As <see cref="StartWithMeshConfigAsync"/>, with more meshd flags (e.g. <c>--mixer-address</c>) and
    /// files of the shared samples read in place (symbolic links in the config directory to <c>Target</c>).
    /// </summary>
    public static async Task<MeshHarness> StartWithArgsAsync(string? meshConfig, string[] meshdArgs, (string Link, string Target)[] samples, params (string File, string Yaml)[] files)
    {
        var directory = Directory.CreateTempSubdirectory("mesh-e2e-").FullName;
        foreach (var (link, target) in samples)
        {
            Assert.True(File.Exists(target), $"sample {target} is missing");
            File.CreateSymbolicLink(Path.Combine(directory, link), target);
        }

        foreach (var (file, yaml) in files)
        {
            await File.WriteAllTextAsync(Path.Combine(directory, file), yaml);
        }

        string[] args = ["--config-dir", directory, .. meshdArgs];
        if (meshConfig != null)
        {
            // Beside the config directory, not in it: meshd reads every YAML there as resources.
            var meshFile = directory + ".mesh.yaml";
            await File.WriteAllTextAsync(meshFile, meshConfig);
            args = [.. args, "--mesh-config", meshFile];
        }

        var meshd = MeshdProcess.Start(args);
        try
        {
            await meshd.WaitReadyAsync();
        }
        catch
        {
            // The caller never gets a harness to dispose: stop what was started here.
            await meshd.DisposeAsync();
            Directory.Delete(directory, recursive: true);
            throw;
        }

        return new MeshHarness(meshd, directory, 20 + (Interlocked.Increment(ref _blocks) * 7 % 200));
    }

    /// <summary>A fresh loopback address for a workload ("pod IP").</summary>
    public string NextIp() => $"127.{_block}.{(Environment.ProcessId % 200) + 1}.{Interlocked.Increment(ref _hosts) + 1}";

    /// <summary>Writes (or replaces) a config file in meshd's directory.</summary>
    public Task ApplyAsync(string file, string yaml) => File.WriteAllTextAsync(Path.Combine(ConfigDirectory, file), yaml);

    public void Remove(string file) => File.Delete(Path.Combine(ConfigDirectory, file));

    /// <summary>A workload: its app (a test backend named <paramref name="name"/>) and its sidecar serving <paramref name="servicePort"/>.</summary>
    public async Task<(ProxyProcess Proxy, TestBackend App)> AddWorkloadAsync(string name, string ns, string labels, int servicePort = 9080, string serviceAccount = "default")
    {
        var app = await TestBackend.StartAsync(name);
        _backends.Add(app);
        var proxy = ProxyProcess.Start(Meshd.XdsPort, name, ns, NextIp(), labels, serviceAccount, [$"{servicePort}=127.0.0.1:{app.Port}"]);
        _proxies.Add(proxy);
        await WaitReadyAsync(proxy);
        return (proxy, app);
    }

    /// <summary>An app (a test backend) without a sidecar yet: the test starts its own, e.g. with the agent's flags.</summary>
    public async Task<TestBackend> AddBackendAsync(string name)
    {
        var app = await TestBackend.StartAsync(name);
        _backends.Add(app);
        return app;
    }

    /// <summary>A proxy the test started itself, stopped with the mesh.</summary>
    public void Own(ProxyProcess proxy) => _proxies.Add(proxy);

    /// <summary>A workload that only calls others (no inbound port): just its sidecar.</summary>
    public async Task<ProxyProcess> AddClientAsync(string name, string ns, string labels, string role = "sidecar")
    {
        var proxy = ProxyProcess.Start(Meshd.XdsPort, name, ns, NextIp(), labels, "default", [], role);
        _proxies.Add(proxy);
        await WaitReadyAsync(proxy);
        return proxy;
    }

    public async Task WaitReadyAsync(ProxyProcess proxy)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Eventually(async () =>
        {
            Assert.False(proxy.HasExited, $"mesh-proxy exited:\n{proxy.Output}");
            using var response = await http.GetAsync(proxy.Admin("/ready"));
            return response.IsSuccessStatusCode;
        }, $"mesh-proxy {proxy.Ip} ready", () => proxy.Output + "\n--- meshd ---\n" + Meshd.Output);
    }

    /// <summary>Sends requests as <paramref name="client"/>'s app would (through its sidecar) until <paramref name="accept"/> holds.</summary>
    public static async Task<HttpResponseMessage> UntilAsync(ProxyProcess client, Func<HttpRequestMessage> request, Func<HttpResponseMessage, string, bool> accept, string what)
    {
        using var http = client.AppClient(TimeSpan.FromSeconds(10));
        HttpResponseMessage? last = null;
        string lastBody = string.Empty;
        await Eventually(async () =>
        {
            last?.Dispose();
            last = await http.SendAsync(request());
            lastBody = await last.Content.ReadAsStringAsync();
            return accept(last, lastBody);
        }, what, () => $"last answer: {(int?)last?.StatusCode} {lastBody}\n{client.Output}");
        return last!;
    }

    public static async Task<string> StatsAsync(ProxyProcess proxy)
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(proxy.Admin("/stats"));
    }

    /// <summary>The value of one stat from /stats (0 when absent).</summary>
    public static async Task<long> StatAsync(ProxyProcess proxy, string name)
    {
        foreach (var line in (await StatsAsync(proxy)).Split('\n'))
        {
            if (line.StartsWith(name + ": ", StringComparison.Ordinal))
            {
                return long.Parse(line[(name.Length + 2)..], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    /// <summary>
    /// The stat once it reaches <paramref name="atLeast"/>, or its value after 10 s. Stats are
    /// recorded when a stream completes, which may be just after the client has read the response
    /// (as in Envoy); the caller still asserts the exact value, so over-counting fails too.
    /// </summary>
    public static async Task<long> StatAtLeastAsync(ProxyProcess proxy, string name, long atLeast)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await StatAsync(proxy, name);
            if (value >= atLeast || clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                return value;
            }

            await Task.Delay(20);
        }
    }

    public static string BackendOf(string body) => JsonDocument.Parse(body).RootElement.GetProperty("backend").GetString()!;

    public static async Task Eventually(Func<Task<bool>> condition, string what, Func<string> context, TimeSpan? within = null)
    {
        var clock = Stopwatch.StartNew();
        var limit = within ?? TimeSpan.FromSeconds(30);
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
            catch (TaskCanceledException)
            {
            }

            Assert.True(clock.Elapsed < limit, $"timed out waiting for {what}\n{context()}");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var proxy in _proxies)
        {
            await proxy.DisposeAsync();
        }

        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }

        await Meshd.DisposeAsync();
        Directory.Delete(ConfigDirectory, recursive: true);
        File.Delete(ConfigDirectory + ".mesh.yaml");
    }
}
