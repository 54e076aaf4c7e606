using System.Diagnostics;
using System.Globalization;
using System.Text;
using Meshwork.Meshd.Tests.Bookinfo;

namespace Meshwork.Meshd.Tests.Demo;

/// <summary>
/// A real <c>meshctl demo</c> process (the built meshctl.dll beside the tests; it finds meshd,
/// mesh-proxy and bookinfo there, and the sample's configs in the repository): output captured,
/// its process tree readable from /proc, so tests can check that nothing outlives it.
/// </summary>
public sealed class MeshctlDemo : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private MeshctlDemo(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

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

    public static MeshctlDemo Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var arg in (string[])[Path.Combine(AppContext.BaseDirectory, "meshctl.dll"), "demo", .. args])
        {
            start.ArgumentList.Add(arg);
        }

        return new MeshctlDemo(ChildProcesses.Start(start));
    }

    /// <summary>Waits (bounded) until the output contains <paramref name="text"/>; fails with the output when meshctl exits first.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited || clock.Elapsed > within)
            {
                Assert.Fail($"meshctl demo did not print \"{text}\" ({(_process.HasExited ? $"exited with {_process.ExitCode}" : $"within {within.TotalSeconds:0} s")}):\n{Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Sends <paramref name="signal"/> (0: none) and waits (bounded) for the exit; SIGKILL of the whole tree after the wait.</summary>
    public Task<int> SignalAndWaitAsync(int signal, TimeSpan wait)
    {
        if (signal != 0 && !_process.HasExited)
        {
            _ = Kill(_process.Id, signal);
        }

        return WaitAsync(wait);
    }

    /// <summary>Every live process below meshctl (the watchdog, meshd, sidecars, apps), from /proc's parent links.</summary>
    public List<int> Descendants()
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid))
            {
                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    parents[pid] = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                }
            }
        }

        var found = new List<int>();
        var queue = new Queue<int>([Pid]);
        while (queue.TryDequeue(out var parent))
        {
            foreach (var child in parents.Where(p => p.Value == parent).Select(p => p.Key))
            {
                found.Add(child);
                queue.Enqueue(child);
            }
        }

        return found.Where(MeshctlRun.IsAlive).ToList();
    }

    /// <summary>Waits (bounded) until none of <paramref name="pids"/> is alive.</summary>
    public static async Task AssertGoneAsync(IReadOnlyCollection<int> pids, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (pids.Any(MeshctlRun.IsAlive) && clock.Elapsed < within)
        {
            await Task.Delay(100);
        }

        var alive = pids.Where(MeshctlRun.IsAlive).ToList();
        Assert.True(alive.Count == 0, $"still running after {within.TotalSeconds:0} s: {string.Join(", ", alive.Select(p => $"{p} ({Command(p)})"))}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await SignalAndWaitAsync(15, TimeSpan.FromSeconds(60));
        }

        _process.Dispose();
    }

    private async Task<int> WaitAsync(TimeSpan wait)
    {
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

    private static string Command(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return "?";
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

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true, EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
