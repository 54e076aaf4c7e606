using System.Diagnostics;

namespace Meshwork.Meshd.Tests;

/// <summary>
/// bench/controlplane's cp-bench runs end to end at a tiny size: every simulated proxy syncs and
/// ACKs every change, and meshd is gone afterwards. Never a timing (benchmarks are not tests).
/// </summary>
public sealed class ControlPlaneBenchTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("cp-bench-test-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task TinyRun_EveryProxySyncsAndReceivesEveryChange_AndTheSectionIsWritten()
    {
        var doc = Path.Combine(_work, "benchmarks.md");
        File.WriteAllText(doc, "# Data-plane benchmarks\n\nkept as it is\n");
        var pidFile = Path.Combine(_work, "meshd.pid");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "cp-bench.dll"), "--meshd", Path.Combine(AppContext.BaseDirectory, "meshd.dll"), "--n", "4", "--s", "3", "--repeat", "1", "--work", _work, "--pid-file", pidFile, "--doc", doc })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, output);
        Assert.Contains("4/4 synced", output);
        Assert.Equal(6, output.Split('\n').Count(l => l.Contains("received by 4/4", StringComparison.Ordinal)));
        Assert.Matches(@"\| 4 \| 3 \| [0-9.]+ s \|", output);

        var text = File.ReadAllText(doc);
        Assert.StartsWith("# Data-plane benchmarks\n\nkept as it is\n\n# Control plane\n", text);
        Assert.Contains("| 1000 proxies × 1000 services: VirtualService change ACKed by all, p99 ≤ 1 s | not measured in this run |", text);

        var meshdPid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(Directory.Exists($"/proc/{meshdPid}") && !File.ReadAllText($"/proc/{meshdPid}/stat").Contains(") Z ", StringComparison.Ordinal), $"meshd (PID {meshdPid}) still runs");
    }
}
