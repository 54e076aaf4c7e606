using System.Diagnostics;
using System.Net;
using System.Text;

namespace Meshwork.Meshd.Tests;

/// <summary>
/// A real meshd process on free loopback ports, its output captured. Disposing ends it (by its
/// PID, SIGTERM first) so no test leaves one behind.
/// </summary>
public sealed class MeshdProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private bool _ownsCa;
    private bool _disposed;

    private MeshdProcess(Process process, int xdsPort, int monitoringPort, int securePort, string caDirectory)
    {
        _process = process;
        XdsPort = xdsPort;
        MonitoringPort = monitoringPort;
        SecurePort = securePort;
        CaDirectory = caDirectory;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Istio's sample files, beside the repository.</summary>
    public static string SharedSamples { get; } = FindSharedSamples();

    public int XdsPort { get; }

    public int MonitoringPort { get; }

    public int SecurePort { get; }

    /// <summary>The CA directory this meshd created its root in (a fresh temporary one per process).</summary>
    public string CaDirectory { get; }

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(10) };

    public Uri Monitoring(string path) => new($"http://127.0.0.1:{MonitoringPort}{path}");

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

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static MeshdProcess Start(params string[] extraArgs) => StartWithCa(null, extraArgs);

    /// <summary>Starts meshd with its ADS on a given port (to come back where proxies expect it).</summary>
    public static MeshdProcess StartOn(int xdsPort, params string[] extraArgs) => StartWithCa(null, xdsPort, extraArgs);

    public static MeshdProcess StartWithCa(string? caDirectory, params string[] extraArgs) => StartWithCa(caDirectory, 0, extraArgs);

    /// <summary>Starts meshd with its CA in <paramref name="caDirectory"/> (kept), or in a fresh temporary directory (deleted on dispose).</summary>
    private static MeshdProcess StartWithCa(string? caDirectory, int xdsPort, string[] extraArgs)
    {
        var ports = LoopbackPorts.FreePorts(3);
        var xds = xdsPort > 0 ? xdsPort : ports[0];
        var monitoring = ports[1] != xds ? ports[1] : ports[0];
        var secure = ports[2] != xds ? ports[2] : ports[0];
        var ownsCa = caDirectory == null;
        caDirectory ??= Directory.CreateTempSubdirectory("meshd-ca-").FullName;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "meshd.dll"));
        start.ArgumentList.Add("--xds-address");
        start.ArgumentList.Add($"127.0.0.1:{xds}");
        start.ArgumentList.Add("--monitoring-address");
        start.ArgumentList.Add($"127.0.0.1:{monitoring}");
        start.ArgumentList.Add("--secure-address");
        start.ArgumentList.Add($"127.0.0.1:{secure}");
        start.ArgumentList.Add("--ca-dir");
        start.ArgumentList.Add(caDirectory);
        foreach (var arg in extraArgs)
        {
            start.ArgumentList.Add(arg);
        }

        return new MeshdProcess(ChildProcesses.Start(start), xds, monitoring, secure, caDirectory) { _ownsCa = ownsCa };
    }

    public static Task<(int Exit, string Output)> RunToExitAsync(params string[] args) => RunToolAsync("meshd.dll", args);

    /// <summary>Runs a built tool of this repository (meshd.dll, meshctl.dll) to its exit; stdout and stderr together.</summary>
    public static async Task<(int Exit, string Output)> RunToolAsync(string dll, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = ChildProcesses.Start(start);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    public async Task WaitReadyAsync()
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (_process.HasExited)
            {
                Assert.Fail($"meshd exited with {_process.ExitCode} before it was ready:\n{Output}");
            }

            try
            {
                using var response = await Http.GetAsync(Monitoring("/ready"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(50);
        }

        Assert.Fail("meshd was not ready within 30 s:\n" + Output);
    }

    public async Task WaitForOutputAsync(string text, int timeoutMs = 15_000)
    {
        var clock = Stopwatch.StartNew();
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (clock.ElapsedMilliseconds > timeoutMs)
            {
                Assert.Fail($"meshd did not print \"{text}\" within {timeoutMs} ms:\n{Output}");
            }

            await Task.Delay(25);
        }
    }

    /// <summary>Sends SIGTERM and waits for the exit; true when it stopped on its own.</summary>
    public async Task<bool> TerminateAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return true;
        }

        Signal(_process.Id, 15);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await TerminateAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
        Http.Dispose();
        if (_ownsCa)
        {
            Directory.Delete(CaDirectory, recursive: true);
        }
    }

    private void Append(string? line)
    {
        if (line != null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private static string FindSharedSamples()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Meshwork.sln")))
        {
            dir = dir.Parent;
        }

        return Path.GetFullPath(Path.Combine(dir!.FullName, "..", "shared", "istio-samples"));
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true, EntryPoint = "kill")]
    private static extern int Signal(int pid, int signal);
}
