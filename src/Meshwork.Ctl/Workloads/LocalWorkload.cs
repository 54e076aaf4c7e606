using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Meshwork.Ctl.Workloads;

/// <summary>
/// A running local-mode workload: its sidecar (mesh-proxy) on the pod IP, then its app, started
/// once the sidecar has its config so the app's first calls are routed. The app listens on
/// 127.0.0.1 on a free port and the sidecar forwards the service port to it: every Bookinfo
/// service listens on 9080 and so does its sidecar on the pod IP, so the app cannot have that port
/// too. Stopping ends the app first (its last calls still have a sidecar), then the sidecar.
/// </summary>
internal sealed class LocalWorkload
{
    private static readonly TimeSpan AppGrace = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan SidecarGrace = TimeSpan.FromSeconds(10);

    private readonly Process _sidecar;
    private Process? _app;

    private LocalWorkload(WorkloadSpec spec, IPAddress ip, int appPort, int adminPort, Process sidecar)
    {
        Spec = spec;
        Ip = ip;
        AppPort = appPort;
        AdminPort = adminPort;
        _sidecar = sidecar;
    }

    public WorkloadSpec Spec { get; }

    public IPAddress Ip { get; }

    /// <summary>Where the app listens on 127.0.0.1 (0 without a service port).</summary>
    public int AppPort { get; }

    /// <summary>The sidecar's admin API, on 127.0.0.1.</summary>
    public int AdminPort { get; }

    public int SidecarPid => _sidecar.Id;

    public int? AppPid => _app?.Id;

    public Task SidecarExited => _sidecar.WaitForExitAsync();

    public Task AppExited => _app?.WaitForExitAsync() ?? Task.CompletedTask;

    public int SidecarExitCode => _sidecar.ExitCode;

    public int AppExitCode => _app?.ExitCode ?? 0;

    /// <summary>Starts the sidecar and waits (bounded) for its first config; the app is started by <see cref="StartAppAsync"/>.</summary>
    public static async Task<LocalWorkload> StartSidecarAsync(WorkloadSpec spec, ProgramCommand proxy, OrphanGuard guard, TextWriter stderr, CancellationToken cancellationToken)
    {
        var ip = spec.Ip ?? PodAddresses.NextPodIp(Random.Shared, WorkloadSpec.OutboundPort, spec.Port ?? WorkloadSpec.OutboundPort);
        foreach (var port in new[] { WorkloadSpec.OutboundPort, spec.Port ?? WorkloadSpec.OutboundPort })
        {
            if (spec.Ip != null && !LoopbackPorts.CanBind(ip, port))
            {
                throw new WorkloadException($"{ip}:{port} is already in use (another workload on --ip {ip}?)");
            }
        }

        // Distinct: a port is handed out once.
        var appPort = spec.Port == null ? 0 : LoopbackPorts.FreePort();
        var adminPort = LoopbackPorts.FreePort();

        var args = new List<string>
        {
            "--discovery-address", spec.Discovery, "--workload", spec.Name, "--namespace", spec.Namespace,
            "--service-account", spec.ServiceAccount, "--ip", ip.ToString(), "--labels", spec.LabelText,
            "--outbound-port", Invariant(WorkloadSpec.OutboundPort), "--admin-port", Invariant(adminPort),
        };
        if (spec.Port is { } servicePort)
        {
            args.AddRange(["--inbound", $"{Invariant(servicePort)}=127.0.0.1:{Invariant(appPort)}"]);
        }

        args.AddRange(spec.ProxyArgs);
        var sidecar = StartSidecar(spec, proxy.StartInfo(args), stderr);
        guard.Watch(sidecar.Id);
        var workload = new LocalWorkload(spec, ip, appPort, adminPort, sidecar);
        await workload.WaitReadyAsync(stderr, cancellationToken);
        return workload;
    }

    /// <summary>Starts the app with the mesh in its environment (see <see cref="AppEnvironment"/>); nothing for a sidecar-only workload (no command, e.g. a gateway).</summary>
    public void StartApp(OrphanGuard guard)
    {
        if (Spec.Command.Count == 0)
        {
            return;
        }

        var start = new ProcessStartInfo(Spec.Command[0]) { UseShellExecute = false };
        foreach (var arg in Spec.Command.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in AppEnvironment())
        {
            start.Environment[name] = value;
        }

        try
        {
            _app = Spec.AppLog != null && !OperatingSystem.IsWindows() ? LoggedProcess.Start(start, Spec.AppLog)
                : Process.Start(start) ?? throw new WorkloadException($"cannot start {Spec.Command[0]}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new WorkloadException($"cannot start {Spec.Command[0]}: {e.Message}");
        }

        guard.Watch(_app.Id);
    }

    /// <summary>
    /// What the app is told: send through the sidecar (<c>HTTP_PROXY</c>; loopback stays direct),
    /// listen where the sidecar forwards (<c>MESH_BIND_ADDRESS</c>:<c>PORT</c>, and
    /// <c>ASPNETCORE_URLS</c> for ASP.NET Core apps), and who it is (pod name, namespace, IP).
    /// </summary>
    public IEnumerable<(string Name, string Value)> AppEnvironment()
    {
        var proxy = $"http://{Ip}:{Invariant(WorkloadSpec.OutboundPort)}";
        yield return ("HTTP_PROXY", proxy);
        yield return ("http_proxy", proxy);
        yield return ("NO_PROXY", "localhost,127.0.0.1,::1");
        yield return ("no_proxy", "localhost,127.0.0.1,::1");
        if (Spec.Port != null)
        {
            yield return ("MESH_BIND_ADDRESS", "127.0.0.1");
            yield return ("PORT", Invariant(AppPort));
            yield return ("ASPNETCORE_URLS", $"http://127.0.0.1:{Invariant(AppPort)}");
            yield return ("MESH_SERVICE_PORT", Invariant(Spec.Port.Value));
        }

        yield return ("MESH_POD_IP", Ip.ToString());
        yield return ("HOSTNAME", Spec.Name);
        yield return ("POD_NAME", Spec.Name);
        yield return ("POD_NAMESPACE", Spec.Namespace);
        yield return ("SERVICE_ACCOUNT", Spec.ServiceAccount);
    }

    /// <summary>The one line printed on start: logfmt, so people read it and scripts parse it.</summary>
    public string Describe()
    {
        var parts = new List<string> { $"workload={Spec.Name}.{Spec.Namespace}", $"ip={Ip}" };
        if (Spec.Port is { } port)
        {
            parts.Add($"port={Invariant(port)}");
            parts.Add($"app=127.0.0.1:{Invariant(AppPort)}");
        }

        parts.Add($"outbound={Ip}:{Invariant(WorkloadSpec.OutboundPort)}");
        parts.Add($"admin=127.0.0.1:{Invariant(AdminPort)}");
        parts.Add($"app-pid={(AppPid is { } pid ? Invariant(pid) : "-")}");
        parts.Add($"sidecar-pid={Invariant(SidecarPid)}");
        parts.Add($"sidecar-log={Spec.ProxyLog}");
        return string.Join(' ', parts);
    }

    /// <summary>Ends the app, then the sidecar: SIGTERM, and SIGKILL when one outlives its grace.</summary>
    public async Task StopAsync()
    {
        if (_app != null)
        {
            await StopAsync(_app, AppGrace);
        }

        await StopAsync(_sidecar, SidecarGrace);
    }

    private static async Task StopAsync(Process process, TimeSpan grace)
    {
        if (!process.HasExited)
        {
            Posix.Signal(process.Id, Posix.SigTerm);
            using var timeout = new CancellationTokenSource(grace);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Posix.Signal(process.Id, Posix.SigKill);
                await process.WaitForExitAsync();
            }
        }
    }

    private async Task WaitReadyAsync(TextWriter stderr, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var ready = new Uri($"http://127.0.0.1:{Invariant(AdminPort)}/ready");
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Spec.ReadyTimeout)
        {
            if (_sidecar.HasExited)
            {
                throw new WorkloadException($"mesh-proxy exited with {_sidecar.ExitCode} before it was ready; its output is in {Spec.ProxyLog}");
            }

            try
            {
                using var response = await http.GetAsync(ready, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
            }

            await Task.Delay(100, cancellationToken);
        }

        await stderr.WriteLineAsync($"meshctl: the sidecar of {Spec.Name} has no config from meshd at {Spec.Discovery} after {Spec.ReadyTimeout.TotalSeconds:0} s; starting the app anyway");
    }

    /// <summary>
    /// A log file is opened by a shell that then becomes mesh-proxy (<c>exec</c>: same PID), so the
    /// sidecar keeps logging without meshctl in between; "-" pumps its lines to stderr, prefixed.
    /// </summary>
    private static Process StartSidecar(WorkloadSpec spec, ProcessStartInfo start, TextWriter stderr)
    {
        if (spec.ProxyLog != "-" && !OperatingSystem.IsWindows())
        {
            return LoggedProcess.Start(start, spec.ProxyLog);
        }

        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        var process = Process.Start(start)!;
        var prefix = $"[{spec.Name} sidecar] ";
        DataReceivedEventHandler pump = (_, e) =>
        {
            if (e.Data != null)
            {
                lock (stderr)
                {
                    stderr.WriteLine(prefix + e.Data);
                }
            }
        };
        process.OutputDataReceived += pump;
        process.ErrorDataReceived += pump;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A workload could not be started; the message says why, in one line.</summary>
internal sealed class WorkloadException(string message) : Exception(message);
