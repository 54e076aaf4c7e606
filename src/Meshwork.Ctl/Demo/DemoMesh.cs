using System.Diagnostics;
using System.Globalization;
using System.Net;
using Meshwork.Citadel;
using Meshwork.Citadel.Authentication;
using Meshwork.Ctl.Workloads;

namespace Meshwork.Ctl.Demo;

/// <summary>
/// Bookinfo on a local mesh, as <c>meshctl demo</c> runs it: meshd with its CA on free ports and a
/// temporary config directory (the sample's base files), an ingress gateway in istio-system, and
/// every Bookinfo workload with its sidecar. Every proxy holds a certificate from meshd's CA (the
/// agent flags), so the mutual TLS and authorization tasks need nothing but their policies.
/// Applying a task step replaces the previous step's files in the watched directory.
/// </summary>
internal sealed class DemoMesh : IAsyncDisposable
{
    public const string Namespace = "default";
    public const string GatewayNamespace = "istio-system";
    public const int GatewayPort = 8080;

    private static readonly string[] BaseFiles = ["services.yaml", "bookinfo-gateway.yaml", "destination-rule-all.yaml", "destination-rule-productpage.yaml"];

    private static readonly (string Name, string Service, string Version)[] Bookinfo =
    [
        ("productpage-v1", "productpage", "v1"), ("details-v1", "details", "v1"), ("reviews-v1", "reviews", "v1"),
        ("reviews-v2", "reviews", "v2"), ("reviews-v3", "reviews", "v3"), ("ratings-v1", "ratings", "v1"),
    ];

    private readonly List<LocalWorkload> _workloads = [];
    private readonly List<string> _applied = [];
    private Process? _meshd;

    private DemoMesh(string root, string samples, OrphanGuard guard)
    {
        Root = root;
        Samples = samples;
        Guard = guard;
    }

    /// <summary>The temporary directory: config/ (watched by meshd), ca/, tokens/, logs/.</summary>
    public string Root { get; }

    public string ConfigDirectory => Path.Combine(Root, "config");

    public string LogDirectory => Path.Combine(Root, "logs");

    /// <summary>samples/bookinfo/config of the repository: the base files and tasks/.</summary>
    public string Samples { get; }

    public OrphanGuard Guard { get; }

    /// <summary>Keep the temporary directory (its logs) on exit: set when an expectation failed, so the reason can be looked up.</summary>
    public bool KeepLogs { get; set; }

    public int XdsPort { get; private set; }

    public LocalWorkload Gateway { get; private set; } = null!;

    public Uri ProductPage => new($"http://{Gateway.Ip}:{GatewayPort.ToString(CultureInfo.InvariantCulture)}/productpage");

    public LocalWorkload Workload(string name) => _workloads.First(w => w.Spec.Name == name);

    /// <summary>Starts everything and waits (bounded) until productpage answers through the gateway.</summary>
    public static async Task<DemoMesh> StartAsync(int meshdPort, TextWriter log, CancellationToken cancellationToken)
    {
        var root = MeshPrograms.RepositoryRoot() ?? throw new DemoException("the Bookinfo sample was not found (run meshctl demo inside a Meshwork checkout)");
        var samples = Path.Combine(root, "samples", "bookinfo", "config");
        var mesh = new DemoMesh(Directory.CreateTempSubdirectory("meshwork-demo-").FullName, samples, OrphanGuard.Start());
        try
        {
            await mesh.StartAllAsync(meshdPort, log, cancellationToken);
            return mesh;
        }
        catch
        {
            await mesh.DisposeAsync();
            throw;
        }
    }

    private async Task StartAllAsync(int meshdPort, TextWriter log, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(ConfigDirectory);
        foreach (var file in BaseFiles)
        {
            File.Copy(Path.Combine(Samples, file), Path.Combine(ConfigDirectory, file));
        }

        // Found (or built) before anything starts, so a first run's build is not raced by timeouts.
        var meshd = MeshPrograms.Find("meshd", "src/Meshwork.Meshd", null, log);
        var proxy = MeshPrograms.Proxy(null, log);
        var bookinfo = MeshPrograms.Find("bookinfo", "samples/bookinfo", null, log);

        XdsPort = meshdPort > 0 ? meshdPort : LoopbackPorts.FreePort();
        var securePort = OtherFreePort(XdsPort);
        var monitoringPort = OtherFreePort(XdsPort, securePort);
        var caDirectory = Path.Combine(Root, "ca");
        var start = meshd.StartInfo([
            "--xds-address", $"127.0.0.1:{XdsPort}", "--secure-address", $"127.0.0.1:{securePort}",
            "--monitoring-address", $"127.0.0.1:{monitoringPort}", "--ca-dir", caDirectory, "--config-dir", ConfigDirectory]);
        _meshd = LoggedProcess.Start(start, Path.Combine(LogDirectory, "meshd.log"));
        Guard.Watch(_meshd.Id);
        await WaitMeshdAsync(monitoringPort, cancellationToken);

        // One CA object for every token: the JWT library caches signers by key id, so a second load
        // of the same key, disposed after its token, would be handed a disposed signer.
        using var ca = CaStore.Load(caDirectory);
        var specs = new List<WorkloadSpec>();
        var gatewayIp = PodAddresses.NextPodIp(Random.Shared, WorkloadSpec.OutboundPort, GatewayPort);
        specs.Add(Spec("istio-ingressgateway", GatewayNamespace, "istio-ingressgateway-service-account", "istio=ingressgateway,app=istio-ingressgateway", null, [], ca, caDirectory, securePort, ["--role", "gateway"]) with { Ip = gatewayIp });
        foreach (var (name, service, version) in Bookinfo)
        {
            var command = (string[])[bookinfo.FileName, .. bookinfo.Prefix, service, "--version", version];
            specs.Add(Spec(name, Namespace, $"bookinfo-{service}", $"app={service},version={version}", 9080, command, ca, caDirectory, securePort, []));
        }

        var started = await Task.WhenAll(specs.Select(s => LocalWorkload.StartSidecarAsync(s, proxy, Guard, log, cancellationToken)));
        _workloads.AddRange(started);
        Gateway = started[0];
        foreach (var workload in started)
        {
            workload.StartApp(Guard);
        }

        await WaitPageAsync(cancellationToken);
    }

    private WorkloadSpec Spec(string name, string ns, string account, string labels, int? port, string[] command, CertificateAuthority ca, string caDirectory, int securePort, string[] extra)
    {
        var tokens = Path.Combine(Root, "tokens");
        Directory.CreateDirectory(tokens);
        var token = Path.Combine(tokens, $"{name}.{ns}.jwt");
        File.WriteAllText(token, BootstrapToken.Create(ca, new WorkloadIdentity(ns, account), "cluster.local", TimeSpan.FromDays(1), DateTimeOffset.UtcNow));

        return new WorkloadSpec
        {
            Name = name,
            Namespace = ns,
            ServiceAccount = account,
            Labels = labels.Split(',').Select(l => new KeyValuePair<string, string>(l[..l.IndexOf('=')], l[(l.IndexOf('=') + 1)..])).ToList(),
            Port = port,
            Discovery = $"127.0.0.1:{XdsPort}",
            Command = command,
            ProxyArgs = [.. extra, "--ca-address", $"127.0.0.1:{securePort}", "--token-file", token, "--ca-root-cert", Path.Combine(caDirectory, "root-cert.pem")],
            ProxyLog = Path.Combine(LogDirectory, $"{name}.{ns}.sidecar.log"),
            AppLog = command.Length > 0 ? Path.Combine(LogDirectory, $"{name}.{ns}.app.log") : null,
        };
    }

    /// <summary>
    /// Puts a task step's files in force: the previous step's are removed, base files it replaced
    /// come back, and <paramref name="replaces"/> (a base file defining the same resources as the
    /// step) is taken out while the step is in force. meshd picks the change up from the directory.
    /// </summary>
    public void Apply(IReadOnlyList<string> taskFiles, string? replaces = null)
    {
        foreach (var file in _applied)
        {
            File.Delete(Path.Combine(ConfigDirectory, file));
        }

        _applied.Clear();
        foreach (var file in BaseFiles.Where(f => f != replaces && !File.Exists(Path.Combine(ConfigDirectory, f))))
        {
            File.Copy(Path.Combine(Samples, file), Path.Combine(ConfigDirectory, file));
        }

        if (replaces != null)
        {
            File.Delete(Path.Combine(ConfigDirectory, replaces));
        }

        foreach (var file in taskFiles)
        {
            File.Copy(Path.Combine(Samples, "tasks", file), Path.Combine(ConfigDirectory, file), overwrite: true);
            _applied.Add(file);
        }
    }

    /// <summary>A proxy's counter from its admin /stats/prometheus: <paramref name="metric"/> summed over the series whose labels contain <paramref name="labelPart"/>.</summary>
    public static async Task<long> CounterAsync(LocalWorkload proxy, string metric, string labelPart)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{proxy.AdminPort.ToString(CultureInfo.InvariantCulture)}/stats/prometheus"));
        long sum = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(metric + "{", StringComparison.Ordinal) && line.Contains(labelPart, StringComparison.Ordinal)
                && long.TryParse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                sum += value;
            }
        }

        return sum;
    }

    private async Task WaitMeshdAsync(int monitoringPort, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_meshd!.HasExited)
            {
                throw new DemoException($"meshd exited with {_meshd.ExitCode}; see {Path.Combine(LogDirectory, "meshd.log")}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{monitoringPort}/ready"), cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK && File.Exists(Path.Combine(Root, "ca", "root-cert.pem")))
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new DemoException($"meshd was not ready within 60 s; see {Path.Combine(LogDirectory, "meshd.log")}");
    }

    private async Task WaitPageAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var clock = Stopwatch.StartNew();
        var last = "no answer";
        while (clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            try
            {
                using var response = await http.GetAsync(ProductPage, cancellationToken);
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                last = $"{(int)response.StatusCode} {PageView.Classify((int)response.StatusCode, body)}";
                if (response.StatusCode == HttpStatusCode.OK && PageView.Classify(200, body) is "v1" or "v2" or "v3")
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                last = e.Message;
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new DemoException($"productpage did not answer through the gateway ({ProductPage}) within 90 s (last: {last}); logs are in {LogDirectory}");
    }

    private static int OtherFreePort(params int[] taken)
    {
        var port = LoopbackPorts.FreePort();
        while (taken.Contains(port))
        {
            port = LoopbackPorts.FreePort();
        }

        return port;
    }

    /// <summary>Stops the apps and sidecars (in parallel), then meshd; the temporary directory is removed unless <see cref="KeepLogs"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_workloads.Select(w => w.StopAsync()));
        if (_meshd is { HasExited: false })
        {
            Posix.Signal(_meshd.Id, Posix.SigTerm);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _meshd.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Posix.Signal(_meshd.Id, Posix.SigKill);
                await _meshd.WaitForExitAsync(CancellationToken.None);
            }
        }

        Guard.Dispose();
        if (KeepLogs)
        {
            return;
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>The demo cannot go on; the message says why, in one line.</summary>
internal sealed class DemoException(string message) : Exception(message);
