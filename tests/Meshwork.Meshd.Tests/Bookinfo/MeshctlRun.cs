using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Meshwork.Meshd.Tests.Bookinfo;

/// <summary>
/// A real <c>meshctl run</c> process (the built meshctl.dll beside the tests, which finds
/// mesh-proxy.dll there too): its output captured, its start line parsed (pod IP, ports, PIDs).
/// Disposing sends SIGTERM to meshctl and waits, so meshctl stops what it started.
/// </summary>
public sealed class MeshctlRun : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<string> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private MeshctlRun(Process process, string proxyLog)
    {
        _process = process;
        ProxyLog = proxyLog;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The built Bookinfo sample beside the tests.</summary>
    public static string BookinfoDll { get; } = Path.Combine(AppContext.BaseDirectory, "bookinfo.dll");

    public string ProxyLog { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>The start line's fields (ip, port, app, outbound, admin, app-pid, sidecar-pid, ...).</summary>
    public IReadOnlyDictionary<string, string> Fields { get; private set; } = new Dictionary<string, string>();

    public string Ip => Fields["ip"];

    public int AppPid => int.Parse(Fields["app-pid"], CultureInfo.InvariantCulture);

    public int SidecarPid => int.Parse(Fields["sidecar-pid"], CultureInfo.InvariantCulture);

    public int WatchdogPid => int.Parse(Fields["watchdog-pid"], CultureInfo.InvariantCulture);

    public Uri Admin(string path) => new($"http://{Fields["admin"]}{path}");

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The sidecar's log so far (for failure messages).</summary>
    public string SidecarOutput => File.Exists(ProxyLog) ? File.ReadAllText(ProxyLog) : "(no sidecar log)";

    /// <summary>Starts <c>meshctl run FLAGS -- COMMAND</c> with the sidecar's log in <paramref name="logDirectory"/>.</summary>
    public static MeshctlRun Start(string logDirectory, string name, IEnumerable<string> flags, params string[] command)
    {
        var log = Path.Combine(logDirectory, name + ".sidecar.log");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var arg in (string[])[Path.Combine(AppContext.BaseDirectory, "meshctl.dll"), "run", "--name", name, "--proxy-log", log, .. flags, "--", .. command])
        {
            start.ArgumentList.Add(arg);
        }

        return new MeshctlRun(ChildProcesses.Start(start), log);
    }

    /// <summary>Waits for the start line (bounded); fails with everything printed when meshctl exits first.</summary>
    public async Task<MeshctlRun> WaitStartedAsync(TimeSpan? within = null)
    {
        var limit = Task.Delay(within ?? TimeSpan.FromSeconds(90));
        await Task.WhenAny(_started.Task, _process.WaitForExitAsync(), limit);
        if (!_started.Task.IsCompleted)
        {
            Assert.Fail($"meshctl run did not start ({(_process.HasExited ? $"exited with {_process.ExitCode}" : "timed out")}):\n{Output}\n--- sidecar ---\n{SidecarOutput}");
        }

        return this;
    }

    /// <summary>Sends <paramref name="signal"/> to meshctl (by its PID; 0 sends nothing) and waits for its exit; SIGKILL after the wait.</summary>
    public async Task<int> SignalAndWaitAsync(int signal, TimeSpan wait)
    {
        if (signal != 0 && !_process.HasExited)
        {
            _ = Kill(_process.Id, signal);
        }

        using var timeout = new CancellationTokenSource(wait);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        return _process.ExitCode;
    }

    /// <summary>Waits (bounded) for meshctl to exit on its own; SIGKILL after the wait.</summary>
    public Task<int> WaitForExitAsync(TimeSpan wait) => SignalAndWaitAsync(0, wait);

    /// <summary>True while <paramref name="pid"/> is a live process (a zombie waiting to be reaped counts as gone).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is not ("Z" or "X");
        }
        catch (IOException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await SignalAndWaitAsync(15, TimeSpan.FromSeconds(30));
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line == null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line.StartsWith("meshctl run: workload=", StringComparison.Ordinal))
        {
            Fields = line["meshctl run: ".Length..].Split(' ').Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f[1]);
            _started.TrySetResult(line);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true, EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
