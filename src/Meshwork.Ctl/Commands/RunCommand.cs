using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using Meshwork.Ctl.Workloads;

namespace Meshwork.Ctl.Commands;

/// <summary>
/// <c>meshctl run --name NAME [--namespace NS] [--service-account SA] [--labels k=v,...] [--port PORT]
/// [--ip IP] [--meshd HOST:PORT] -- COMMAND [ARGS...]</c>: one local-mode workload, its sidecar and
/// its app, as a pod with an injected sidecar is in Kubernetes. Ctrl-C or SIGTERM stops both; when
/// the app exits the sidecar is stopped and meshctl exits with the app's code; a watchdog ends both
/// if meshctl itself is killed.
/// </summary>
internal static class RunCommand
{
    private const string Help = """
        Start a workload (COMMAND) with its sidecar on its own loopback address, its "pod IP"

        The sidecar (mesh-proxy) listens on the pod IP: the service port (--port) for callers, and 15001
        for the app's own outbound requests. It registers the workload with meshd (name, namespace,
        labels, IP, port, service account), so a ServiceEntry whose workloadSelector matches the labels
        routes to it. The app is started once the sidecar has its config, with this environment:
          HTTP_PROXY, http_proxy    http://POD_IP:15001: calls such as http://reviews:9080/ go through the mesh
          NO_PROXY, no_proxy        localhost,127.0.0.1,::1 (loopback control traffic stays direct)
          MESH_BIND_ADDRESS, PORT   where the app must listen: 127.0.0.1 and a free port (with --port)
          ASPNETCORE_URLS           the same for ASP.NET Core apps: http://127.0.0.1:PORT
          MESH_SERVICE_PORT         the service port (--port); MESH_POD_IP, HOSTNAME/POD_NAME, POD_NAMESPACE
        The app listens on 127.0.0.1:PORT, not on the service port, because the sidecar already holds
        POD_IP:PORT and every Bookinfo service uses 9080; the sidecar forwards the service port there.

        One line on start gives the addresses, ports and PIDs; the sidecar's output goes to
        --proxy-log. Ctrl-C or SIGTERM stops the app, then the sidecar; when the app exits, the sidecar
        is stopped and meshctl exits with the app's exit code. If meshctl is killed, a watchdog stops both.
        """;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var name = new Option<string>("--name") { Description = "The workload (pod) name, e.g. reviews-v2.", Required = true };
        var ns = new Option<string>("--namespace", "-n") { Description = "The workload's namespace.", DefaultValueFactory = _ => "default" };
        var account = new Option<string>("--service-account") { Description = "The workload's service account (its SPIFFE identity).", DefaultValueFactory = _ => "default" };
        var labels = new Option<string?>("--labels") { Description = "The workload's labels, k=v,k=v (default app=NAME)." };
        var port = new Option<int?>("--port") { Description = "The service port the sidecar accepts on the pod IP and forwards to the app; omit for a workload that only calls out." };
        var ip = new Option<string?>("--ip") { Description = "The pod IP (default: a fresh 127.x.y.z)." };
        var meshd = new Option<string>("--meshd") { Description = "meshd's xDS address (HOST:PORT).", DefaultValueFactory = _ => "127.0.0.1:15010" };
        var proxyLog = new Option<string?>("--proxy-log") { Description = "The sidecar's log file, or - for stderr with a prefix (default: TMPDIR/meshwork/NAME.NAMESPACE.sidecar.log)." };
        var proxyPath = new Option<string?>("--proxy-path") { Description = "The mesh-proxy binary or mesh-proxy.dll (default: MESH_PROXY_PATH, beside meshctl, or the repository's build)." };
        var proxyArgs = new Option<string[]>("--proxy-arg") { Description = "One more mesh-proxy flag or value, passed as given (repeatable), e.g. --proxy-arg=--ca-address --proxy-arg=127.0.0.1:15012." };
        var command = new Argument<string[]>("COMMAND") { Description = "The app and its arguments, after --.", Arity = ArgumentArity.OneOrMore };
        var run = new Command("run", Help) { name, ns, account, labels, port, ip, meshd, proxyLog, proxyPath, proxyArgs, command };
        run.SetAction(async (parse, _) =>
        {
            var problem = Bind(parse.GetValue(name)!, parse.GetValue(ns)!, parse.GetValue(labels), parse.GetValue(port), parse.GetValue(ip), out var labelList, out var address);
            if (problem != null)
            {
                await stderr.WriteLineAsync($"meshctl run: {problem}");
                return CommandLine.Usage;
            }

            var spec = new WorkloadSpec
            {
                Name = parse.GetValue(name)!,
                Namespace = parse.GetValue(ns)!,
                ServiceAccount = parse.GetValue(account)!,
                Labels = labelList,
                Port = parse.GetValue(port),
                Ip = address,
                Discovery = parse.GetValue(meshd)!,
                Command = parse.GetValue(command)!,
                ProxyArgs = parse.GetValue(proxyArgs) ?? [],
                ProxyLog = parse.GetValue(proxyLog) ?? Path.Combine(Path.GetTempPath(), "meshwork", $"{parse.GetValue(name)}.{parse.GetValue(ns)}.sidecar.log"),
            };
            return await RunAsync(spec, parse.GetValue(proxyPath), stdout, stderr);
        });
        return run;
    }

    private static string? Bind(string name, string ns, string? labels, int? port, string? ip, out List<KeyValuePair<string, string>> labelList, out IPAddress? address)
    {
        labelList = [];
        address = null;
        if (name.Length == 0 || ns.Length == 0)
        {
            return "--name and --namespace must not be empty";
        }

        foreach (var pair in (labels ?? $"app={name}").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return $"--labels: \"{pair}\" is not k=v";
            }

            labelList.Add(new(pair[..eq], pair[(eq + 1)..]));
        }

        if (port is < 1 or > 65535)
        {
            return $"--port {port} is not a port (1-65535)";
        }

        if (ip != null && (!IPAddress.TryParse(ip, out address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork))
        {
            return $"--ip \"{ip}\" is not an IPv4 address";
        }

        return null;
    }

    internal static async Task<int> RunAsync(WorkloadSpec spec, string? proxyPath, TextWriter stdout, TextWriter stderr)
    {
        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            // Handled here, in order (app, then sidecar), instead of by the runtime's default exit.
            context.Cancel = true;
            stop.Cancel();
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);
        using var guard = OrphanGuard.Start();

        LocalWorkload workload;
        try
        {
            var proxy = MeshPrograms.Proxy(proxyPath, stderr);
            workload = await LocalWorkload.StartSidecarAsync(spec, proxy, guard, stderr, stop.Token);
        }
        catch (Exception e) when (e is WorkloadException or FileNotFoundException or InvalidOperationException)
        {
            await stderr.WriteLineAsync($"meshctl run: {e.Message}");
            return CommandLine.Invalid;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }

        try
        {
            workload.StartApp(guard);
        }
        catch (WorkloadException e)
        {
            await stderr.WriteLineAsync($"meshctl run: {e.Message}");
            await workload.StopAsync();
            return CommandLine.Invalid;
        }

        await stdout.WriteLineAsync($"meshctl run: {workload.Describe()} watchdog-pid={(guard.Pid is { } watchdog ? watchdog.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-")}");
        await stdout.FlushAsync(CancellationToken.None);
        var stopped = Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        var appExited = workload.AppExited;
        var sidecarExited = workload.SidecarExited;
        var first = await Task.WhenAny(appExited, sidecarExited, stopped);
        if (first == appExited)
        {
            await stderr.WriteLineAsync($"meshctl run: {spec.Name} exited with {workload.AppExitCode}; stopping its sidecar");
        }
        else if (first == sidecarExited)
        {
            await stderr.WriteLineAsync($"meshctl run: the sidecar of {spec.Name} exited with {workload.SidecarExitCode} (see {spec.ProxyLog}); stopping the app");
        }
        else
        {
            await stderr.WriteLineAsync($"meshctl run: stopping {spec.Name} and its sidecar");
        }

        await workload.StopAsync();
        var code = workload.AppExitCode;
        return first == sidecarExited && code == 0 ? CommandLine.Invalid : code;
    }
}
