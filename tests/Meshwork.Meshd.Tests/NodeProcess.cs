using System.Diagnostics;
using System.Text;

namespace Meshwork.Meshd.Tests;

/// <summary>A node process from tests/interop/grpc-xds, output captured, ended by its PID on dispose.</summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private NodeProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static string Directory { get; } = FindInterop();

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

    public static bool Available => File.Exists(Path.Combine(Directory, "node_modules", "@grpc", "grpc-js-xds", "package.json"));

    public static NodeProcess Start(IDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Directory };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return new NodeProcess(ChildProcesses.Start(start));
    }

    public async Task WaitForOutputAsync(string text, int timeoutMs = 20_000)
    {
        var clock = Stopwatch.StartNew();
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            Assert.False(_process.HasExited && !Output.Contains(text, StringComparison.Ordinal), $"node exited with {(_process.HasExited ? _process.ExitCode : 0)}:\n{Output}");
            Assert.True(clock.ElapsedMilliseconds < timeoutMs, $"node did not print \"{text}\" within {timeoutMs} ms:\n{Output}");
            await Task.Delay(25);
        }
    }

    public async Task<string> WaitForExitAsync(int timeoutMs = 120_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        await _process.WaitForExitAsync(cts.Token);
        return Output;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
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

    private static string FindInterop()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Meshwork.sln")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir!.FullName, "tests", "interop", "grpc-xds");
    }
}
