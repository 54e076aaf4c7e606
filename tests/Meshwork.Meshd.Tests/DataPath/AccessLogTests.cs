using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>MeshConfig accessLogFile: every sidecar writes Istio's default access-log line (text) or its JSON keys.</summary>
public sealed class AccessLogTests : IAsyncLifetime
{
    private readonly string _textLog = Path.Combine(Path.GetTempPath(), $"meshwork-access-{Guid.NewGuid():N}.log");
    private MeshHarness _mesh = null!;
    private ProxyProcess _client = null!;

    public async Task InitializeAsync()
    {
        _mesh = await MeshHarness.StartWithMeshConfigAsync($"accessLogFile: {_textLog}\n", ("services.yaml", HttpMeshes.Service("web", "app: web")));
        await _mesh.AddWorkloadAsync("web", "default", "app=web");
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
}
