using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>MeshConfig accessLogFile: every sidecar writes Istio's default access-log line for HTTP requests and TCP connections.</summary>
public sealed class AccessLogTests : IAsyncLifetime
{
    private readonly string _textLog = Path.Combine(Path.GetTempPath(), $"meshwork-access-{Guid.NewGuid():N}.log");
    private MeshHarness _mesh = null!;
    private ProxyProcess _client = null!;
    private ProxyProcess _raw = null!;

    public async Task InitializeAsync()
    {
        _mesh = await MeshHarness.StartWithMeshConfigAsync(
            $"accessLogFile: {_textLog}\n",
            ("services.yaml", HttpMeshes.Service("web", "app: web")),
            ("raw.yaml", EdgeProtocolMesh.Service("raw", 9080, "TCP")));
        await _mesh.AddWorkloadAsync("web", "default", "app=web");
        (_raw, _) = await _mesh.AddWorkloadAsync("raw", "default", "app=raw");
        _client = await _mesh.AddClientAsync("sleep", "default", "app=sleep");
    }

    public async Task DisposeAsync()
    {
        await _mesh.DisposeAsync();
        File.Delete(_textLog);
    }

    [Fact]
    public async Task Request_ThroughTwoSidecars_BothLogIstiosDefaultLine()
    {
        // A fresh id per attempt: an attempt made before the route was ready is logged too, with its own status.
        var requestId = string.Empty;
        await MeshHarness.UntilAsync(
            _client,
            () =>
            {
                requestId = Guid.NewGuid().ToString();
                var request = new HttpRequestMessage(HttpMethod.Get, "http://web.default.svc.cluster.local:9080/logged?x=1");
                request.Headers.Add("x-request-id", requestId);
                request.Headers.UserAgent.ParseAdd("access-log-test/1.0");
                return request;
            },
            (r, _) => r.StatusCode == HttpStatusCode.OK,
            "a request to web");

        string[] lines = [];
        await MeshHarness.Eventually(
            () =>
            {
                lines = File.Exists(_textLog) ? File.ReadAllLines(_textLog).Where(l => l.Contains(requestId, StringComparison.Ordinal)).ToArray() : [];
                return Task.FromResult(lines.Length >= 2);
            },
            "both sidecars' lines",
            () => File.Exists(_textLog) ? File.ReadAllText(_textLog) : "(no log file)");

        // Istio's EnvoyTextLogFormat, field by field.
        var pattern = new Regex(
            @"^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] ""GET /logged\?x=1 HTTP/1\.1"" 200 - via_upstream - ""-"" \d+ \d+ \d+ \S+ ""[^""]*"" ""access-log-test/1\.0"" "
            + $@"""{requestId}"" ""web\.default\.svc\.cluster\.local:9080"" ""[\d.]+:\d+"" (outbound|inbound)\|9080\|\|\S* \S+ [\d.]+:\d+ [\d.]+:\d+ \S+ \S+$");
        Assert.All(lines, line => Assert.True(pattern.IsMatch(line), "not Istio's format: " + line));
        Assert.Contains(lines, l => l.Contains(" outbound|9080||web.default.svc.cluster.local ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(" inbound|9080|| ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Request_WithoutRequestId_TheClientSidecarsGeneratedIdInBothLinesAndAtTheApp()
    {
        var marker = string.Empty;
        var response = await MeshHarness.UntilAsync(
            _client,
            () => new HttpRequestMessage(HttpMethod.Get, $"http://web.default.svc.cluster.local:9080/generated?n={marker = Guid.NewGuid().ToString("N")}"),
            (r, _) => r.StatusCode == HttpStatusCode.OK,
            "a request to web");
        var received = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("headers").GetProperty("x-request-id").GetString()!;

        string[] lines = [];
        await MeshHarness.Eventually(
            () =>
            {
                lines = File.Exists(_textLog) ? File.ReadAllLines(_textLog).Where(l => l.Contains(marker, StringComparison.Ordinal)).ToArray() : [];
                return Task.FromResult(lines.Length >= 2);
            },
            "both sidecars' lines",
            () => File.Exists(_textLog) ? File.ReadAllText(_textLog) : "(no log file)");

        Assert.True(Guid.TryParse(received, out _), received);
        Assert.All(lines, line => Assert.Contains($" \"{received}\" ", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Connection_ThroughATcpProxy_LogsOneLineWithItsBytesWhenItCloses()
    {
        // The raw service's port is TCP: its sidecar relays bytes (tcp_proxy), whatever they are.
        var answer = string.Empty;
        await MeshHarness.Eventually(
            async () =>
            {
                using var tcp = new System.Net.Sockets.TcpClient();
                await tcp.ConnectAsync(IPAddress.Parse(_raw.Ip), 9080);
                var stream = tcp.GetStream();
                await stream.WriteAsync("GET /raw HTTP/1.1\r\nHost: raw\r\nConnection: close\r\n\r\n"u8.ToArray());
                using var reader = new StreamReader(stream);
                answer = await reader.ReadToEndAsync();
                return answer.StartsWith("HTTP/1.1 200", StringComparison.Ordinal);
            },
            "an answer through the raw TCP port",
            () => answer + "\n" + _raw.Output);

        string? line = null;
        await MeshHarness.Eventually(
            () =>
            {
                line = File.Exists(_textLog)
                    ? File.ReadAllLines(_textLog).LastOrDefault(l => l.Contains("\"- - -\" 0 - ", StringComparison.Ordinal) && l.Contains(" inbound|9080|| ", StringComparison.Ordinal))
                    : null;
                return Task.FromResult(line != null);
            },
            "the TCP connection's line",
            () => File.Exists(_textLog) ? File.ReadAllText(_textLog) : "(no log file)");

        // Istio's text format for a connection: no method, path or protocol; bytes each way; the inbound cluster.
        var match = Regex.Match(line!, @"^\[[^\]]+\] ""- - -"" 0 - - - ""-"" (?<received>\d+) (?<sent>\d+) \d+ - ""-"" ""-"" ""-"" ""-"" ""-"" inbound\|9080\|\| - (?<local>[\d.]+:9080) [\d.]+:\d+ - -$");
        Assert.True(match.Success, "not Istio's format for a connection: " + line);
        Assert.True(long.Parse(match.Groups["received"].Value, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.True(long.Parse(match.Groups["sent"].Value, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Equal($"{_raw.Ip}:9080", match.Groups["local"].Value);
    }
}
