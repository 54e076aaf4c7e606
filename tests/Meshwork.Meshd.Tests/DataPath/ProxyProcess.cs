using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>
/// A real mesh-proxy process for one workload on its own loopback address; disposing ends it by
/// its PID (SIGTERM, then kill) so nothing is left running.
/// </summary>
public sealed class ProxyProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ProxyProcess(Process process, string ip, int adminPort, int outboundPort)
    {
        _process = process;
        Ip = ip;
        AdminPort = adminPort;
        OutboundPort = outboundPort;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Ip { get; }

    public int AdminPort { get; }

    public int OutboundPort { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

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

    public Uri Admin(string path) => new($"http://127.0.0.1:{AdminPort}{path}");

    /// <summary>An HttpClient that sends as the workload's app does: every request through this sidecar's outbound port (HTTP_PROXY).</summary>
    public HttpClient AppClient(TimeSpan? timeout = null) => new(new SocketsHttpHandler { Proxy = new WebProxy($"http://{Ip}:{OutboundPort}"), UseProxy = true, UseCookies = false })
    {
        Timeout = timeout ?? TimeSpan.FromSeconds(20),
    };

    public static ProxyProcess Start(int discoveryPort, string workload, string ns, string ip, string labels, string serviceAccount = "default", IEnumerable<string>? inbound = null, string role = "sidecar", params string[] extra)
    {
        var adminPort = LoopbackPorts.FreePort();
        var outboundPort = 15001;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var args = new List<string>
        {
            Path.Combine(AppContext.BaseDirectory, "mesh-proxy.dll"), "--discovery-address", $"127.0.0.1:{discoveryPort}", "--workload", workload,
            "--namespace", ns, "--service-account", serviceAccount, "--ip", ip, "--labels", labels, "--role", role,
            "--admin-port", adminPort.ToString(CultureInfo.InvariantCulture), "--outbound-port", outboundPort.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var mapping in inbound ?? [])
        {
            args.Add("--inbound");
            args.Add(mapping);
        }

        args.AddRange(extra);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new ProxyProcess(ChildProcesses.Start(start), ip, adminPort, outboundPort);
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

    /// <summary>Sends SIGTERM to this process (by its PID) and waits for its exit.</summary>
    public async Task<int> TerminateAsync(TimeSpan wait)
    {
        if (!_process.HasExited)
        {
            _ = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])?.WaitForExit(5000);
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

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await TerminateAsync(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
    }
}
