using System.CommandLine;
using System.Runtime.InteropServices;
using Meshwork.Ctl.Demo;
using Meshwork.Ctl.Workloads;

namespace Meshwork.Ctl.Commands;

/// <summary>
/// <c>meshctl demo [--scenario NAME] [--no-interactive] [--meshd-port PORT]</c>: Bookinfo on a local
/// mesh in one command, then Istio's tasks live on it. Ctrl-C or SIGTERM stops every process it
/// started; a watchdog does so if meshctl itself is killed.
/// </summary>
internal static class DemoCommand
{
    private const string Help = """
        Run Bookinfo on a local mesh and walk through Istio's tasks on it

        Starts meshd (with its CA) on free ports, an ingress gateway and every Bookinfo workload
        (productpage, details, reviews v1/v2/v3, ratings) with its sidecar, each on its own loopback
        address; applies the gateway and destination rules; prints the productpage URL. Then, step by
        step, it applies each task's config (samples/bookinfo/config/tasks), sends requests through
        the gateway (anonymous, and signed in as jason) and shows which reviews version answered,
        status codes and latency. Scenarios, in order:
          request-routing    all to v1; then user jason to v2
          traffic-shifting   50% v1 / 50% v3; then 100% v3
          fault-injection    ratings 7 s late for jason (reviews error); then ratings 500 for jason
          timeouts           ratings 2 s late; then a 0.5 s timeout on reviews (reviews error)
          circuit-breaking   one connection to productpage: a burst gets 503 with flag UO
          mirroring          reviews v1 mirrored to v2: clients see v1, v2 gets the copies
          mtls               PERMISSIVE; then STRICT: plaintext to a pod IP is refused
          authorization      allow nothing (403 RBAC: access denied); then allow, service by service
        Interactive: pauses for Enter between steps and keeps Bookinfo running after the tour until
        Ctrl-C. --no-interactive: plain text, no pauses; exits 0 when every expectation held, 1 with
        the reasons when not. Logs are in a temporary directory (printed), removed on exit unless an
        expectation failed.
        """;

    public static Command Create(TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var scenario = new Option<string?>("--scenario") { Description = $"Run one scenario (after the setup): {string.Join(", ", DemoScenarios.All.Select(s => s.Name))}." };
        var noInteractive = new Option<bool>("--no-interactive") { Description = "Plain text, no pauses, exit when done: 0 when every expectation held." };
        var meshdPort = new Option<int>("--meshd-port") { Description = "meshd's ADS port on 127.0.0.1 (default: a free port)." };
        var demo = new Command("demo", Help) { scenario, noInteractive, meshdPort };
        demo.SetAction(async (parse, _) =>
        {
            var name = parse.GetValue(scenario);
            if (name != null && DemoScenarios.Find(name) == null)
            {
                await stderr.WriteLineAsync($"meshctl demo: --scenario: unknown scenario \"{name}\" (one of {string.Join(", ", DemoScenarios.All.Select(s => s.Name))})");
                return CommandLine.Usage;
            }

            if (parse.GetValue(meshdPort) is < 0 or > 65535)
            {
                await stderr.WriteLineAsync($"meshctl demo: --meshd-port {parse.GetValue(meshdPort)} is not a port (1-65535)");
                return CommandLine.Usage;
            }

            return await RunAsync(name, parse.GetValue(noInteractive), parse.GetValue(meshdPort), stdin, stdout, stderr);
        });
        return demo;
    }

    private static async Task<int> RunAsync(string? scenario, bool noInteractive, int meshdPort, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            // Handled here: the processes are stopped in order below, not by the runtime's exit.
            context.Cancel = true;
            stop.Cancel();
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);
        IDemoView view = noInteractive ? new PlainDemoView(stdout) : new LiveDemoView(stdout);
        view.Line("meshctl demo: starting meshd, the ingress gateway and Bookinfo (productpage, details, reviews v1/v2/v3, ratings) with their sidecars...");
        DemoMesh mesh;
        try
        {
            mesh = await DemoMesh.StartAsync(meshdPort, stderr, stop.Token);
        }
        catch (Exception e) when (e is DemoException or WorkloadException or FileNotFoundException or InvalidOperationException)
        {
            await stderr.WriteLineAsync($"meshctl demo: {e.Message}");
            return CommandLine.Invalid;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }

        await using (mesh)
        {
            view.Line($"meshctl demo: Bookinfo is up: {mesh.ProductPage}");
            view.Line($"meshctl demo: meshd ADS 127.0.0.1:{mesh.XdsPort}, gateway {mesh.Gateway.Ip}:{DemoMesh.GatewayPort}, config {mesh.ConfigDirectory}, logs {mesh.LogDirectory}");
            Func<CancellationToken, Task>? pause = noInteractive ? null : token => PauseAsync(stdin, view, token);
            var tour = new DemoTour(mesh, view, pause);
            var failures = new List<string>();
            try
            {
                var scenarios = scenario != null ? [DemoScenarios.Find(scenario)!] : DemoScenarios.All;
                for (var i = 0; i < scenarios.Count; i++)
                {
                    failures.AddRange(await tour.RunAsync(scenarios[i], stop.Token));
                    if (pause != null && i + 1 < scenarios.Count)
                    {
                        await pause(stop.Token);
                    }
                }

                if (!noInteractive && scenario == null)
                {
                    view.Line($"meshctl demo: the tour is over; Bookinfo keeps running at {mesh.ProductPage} (sign in as jason). Ctrl-C stops it.");
                    await Task.Delay(Timeout.Infinite, stop.Token);
                }
            }
            catch (OperationCanceledException)
            {
                await stderr.WriteLineAsync("meshctl demo: stopping Bookinfo, the gateway and meshd");
                return 130;
            }

            foreach (var failure in failures)
            {
                await stderr.WriteLineAsync($"meshctl demo: expectation failed: {failure}");
            }

            if (failures.Count > 0)
            {
                mesh.KeepLogs = true;
                await stderr.WriteLineAsync($"meshctl demo: the logs are kept in {mesh.LogDirectory}");
            }

            view.Line(failures.Count == 0 ? "meshctl demo: every expectation held" : $"meshctl demo: {failures.Count} expectation(s) failed");
            return failures.Count == 0 ? CommandLine.Ok : CommandLine.Invalid;
        }
    }

    /// <summary>Waits for Enter (or Ctrl-C); with no input left (stdin closed), goes on at once.</summary>
    private static async Task PauseAsync(TextReader stdin, IDemoView view, CancellationToken cancellationToken)
    {
        view.Line("Press Enter for the next step (Ctrl-C stops the demo).");
        var line = stdin.ReadLineAsync(cancellationToken).AsTask();
        await Task.WhenAny(line, Task.Delay(Timeout.Infinite, cancellationToken));
        cancellationToken.ThrowIfCancellationRequested();
    }
}
