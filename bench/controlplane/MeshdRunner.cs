using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Meshwork.Bench.ControlPlane;

/// <summary>meshd's memory and CPU from /proc at one moment.</summary>
public readonly record struct ProcSample(double RssMb, double HwmMb, double CpuSeconds)
{
    public static ProcSample Read(int pid)
    {
        double rss = 0, hwm = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kb(line) / 1024.0;
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                hwm = Kb(line) / 1024.0;
            }
        }

        // /proc/PID/stat: the command may hold spaces, so count fields after the closing parenthesis.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return new ProcSample(rss, hwm, ticks / (double)ClockTicks);
    }

    private static readonly long ClockTicks = Math.Max(1, SysConf(2)); // _SC_CLK_TCK

    private static double Kb(string line) => double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    [DllImport("libc", EntryPoint = "sysconf")]
    private static extern long SysConf(int name);
}

/// <summary>
/// A Release meshd (<c>dotnet meshd.dll</c>) on free loopback ports, plaintext ADS only, its output
/// in a log file. Disposing ends it by its PID: SIGTERM, then KILL after 10 s.
/// </summary>
public sealed class MeshdRunner : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private bool _disposed;

    private MeshdRunner(Process process, StreamWriter log, int xdsPort, int monitoringPort)
    {
        _process = process;
        _log = log;
        XdsPort = xdsPort;
        MonitoringPort = monitoringPort;
    }

    public int Pid => _process.Id;

    public int XdsPort { get; }

    public int MonitoringPort { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts meshd; with <paramref name="memoryCgroup"/> (a cgroup v1 memory directory) meshd runs in it
    /// from its first instruction, as in a container with that memory limit: the runtime sizes its
    /// heap from the limit at start-up, and the kernel ends meshd if it goes over.
    /// </summary>
    public static MeshdRunner Start(string meshdDll, string configDir, string caDir, string logPath, string? pidFile, string? memoryCgroup = null)
    {
        var ports = FreePorts(2);
        var start = new ProcessStartInfo(memoryCgroup == null ? "dotnet" : "/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (memoryCgroup != null)
        {
            // The shell joins the cgroup and execs meshd in its place, so the PID is meshd's.
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("echo $$ > \"$0/cgroup.procs\" && exec dotnet \"$@\"");
            start.ArgumentList.Add(memoryCgroup);
        }

        start.ArgumentList.Add(meshdDll);
        foreach (var arg in new[] { "--config-dir", configDir, "--xds-address", $"127.0.0.1:{ports[0]}", "--monitoring-address", $"127.0.0.1:{ports[1]}", "--secure-address", "off", "--ca-dir", caDir })
        {
            start.ArgumentList.Add(arg);
        }

        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = Process.Start(start)!;
        if (pidFile != null)
        {
            File.WriteAllText(pidFile, process.Id.ToString(CultureInfo.InvariantCulture) + "\n");
        }

        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new MeshdRunner(process, log, ports[0], ports[1]);
    }

    public ProcSample Sample() => ProcSample.Read(_process.Id);

    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"meshd exited with {_process.ExitCode} before it was ready");
            }

            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{MonitoringPort}/ready").ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
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

            await Task.Delay(100).ConfigureAwait(false);
        }

        throw new TimeoutException($"meshd was not ready within {timeout.TotalSeconds:0} s");
    }

    /// <summary>meshd's managed heap from its /metrics (dotnet_total_memory_bytes), NaN when it cannot be read.</summary>
    public async Task<double> ManagedHeapMbAsync()
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var text = await http.GetStringAsync($"http://127.0.0.1:{MonitoringPort}/metrics").ConfigureAwait(false);
            var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("dotnet_total_memory_bytes ", StringComparison.Ordinal));
            return line == null ? double.NaN : double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture) / 1024 / 1024;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or FormatException)
        {
            return double.NaN;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (!_process.HasExited)
            {
                Kill(_process.Id, 15);
                if (!_process.WaitForExit(10_000))
                {
                    Kill(_process.Id, 9);
                    _process.WaitForExit(5_000);
                }
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line == null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    [DllImport("libc", SetLastError = true, EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
