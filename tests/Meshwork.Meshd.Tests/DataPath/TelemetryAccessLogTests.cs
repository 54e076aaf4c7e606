using System.Net;
using System.Text.Json;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>
/// The Telemetry API's access logging through real sidecars: a mesh-wide Telemetry in the root
/// namespace logs only failures (a CEL filter) with a JSON-labels provider; a workload-level one
/// turns the server side off for web. MeshConfig's accessLogFile is set too and must give way.
/// </summary>
public sealed class TelemetryAccessLogTests : IAsyncLifetime
{
    private readonly string _jsonLog = Path.Combine(Path.GetTempPath(), $"meshwork-telemetry-{Guid.NewGuid():N}.log");
    private readonly string _legacyLog = Path.Combine(Path.GetTempPath(), $"meshwork-legacy-{Guid.NewGuid():N}.log");
    private MeshHarness _mesh = null!;
    private ProxyProcess _client = null!;

    public async Task InitializeAsync()
    {
        _mesh = await MeshHarness.StartWithMeshConfigAsync(
            $$"""
            accessLogFile: {{_legacyLog}}
            extensionProviders:
            - name: failures
              envoyFileAccessLog:
                path: {{_jsonLog}}
                logFormat:
                  labels:
                    code: "%RESPONSE_CODE%"
                    path: "%REQ(:PATH)%"
                    cluster: "%UPSTREAM_CLUSTER%"
                    id: "%REQ(X-REQUEST-ID)%"
            """,
            ("services.yaml", HttpMeshes.Service("web", "app: web")),
            ("telemetry.yaml", """
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: mesh-default, namespace: istio-system}
                spec:
                  accessLogging:
                  - providers: [{name: failures}]
                    filter: {expression: "response.code >= 400"}
                ---
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: web-quiet, namespace: default}
                spec:
                  selector: {matchLabels: {app: web}}
                  accessLogging:
                  - match: {mode: SERVER}
                    disabled: true
                """));
        await _mesh.AddWorkloadAsync("web", "default", "app=web");
        _client = await _mesh.AddClientAsync("sleep", "default", "app=sleep");
    }

    public async Task DisposeAsync()
    {
        await _mesh.DisposeAsync();
        File.Delete(_jsonLog);
        File.Delete(_legacyLog);
    }

    [Fact]
    public async Task Requests_OnlyFailuresLogged_AsJsonLabels_ClientSideOnlyForWeb()
    {
        await MeshHarness.UntilAsync(_client, () => new HttpRequestMessage(HttpMethod.Get, "http://web.default.svc.cluster.local:9080/warm"), (r, _) => r.StatusCode == HttpStatusCode.OK, "web reachable");

        var ok = Guid.NewGuid().ToString();
        var failed = Guid.NewGuid().ToString();
        using var app = _client.AppClient();
        foreach (var (id, query) in new[] { (ok, string.Empty), (failed, "?status=503") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://web.default.svc.cluster.local:9080/t{query}");
            request.Headers.Add("x-request-id", id);
            using var response = await app.SendAsync(request);
            Assert.Equal(query.Length == 0 ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }

        JsonElement[] entries = [];
        await MeshHarness.Eventually(
            () =>
            {
                entries = File.Exists(_jsonLog) ? File.ReadAllLines(_jsonLog).Select(l => JsonDocument.Parse(l).RootElement).ToArray() : [];
                return Task.FromResult(entries.Any(e => e.GetProperty("id").GetString() == failed));
            },
            "the failed request's line",
            () => File.Exists(_jsonLog) ? File.ReadAllText(_jsonLog) : "(no log file)");

        // The client's sidecar logged the 503 (outbound); web's sidecar logged nothing (server side disabled there).
        var lines = entries.Where(e => e.GetProperty("id").GetString() == failed).ToArray();
        var line = Assert.Single(lines);
        Assert.Equal(503, line.GetProperty("code").GetInt32()); // a number, as Envoy writes %RESPONSE_CODE% in JSON
        Assert.Equal("/t?status=503", line.GetProperty("path").GetString());
        Assert.Equal("outbound|9080||web.default.svc.cluster.local", line.GetProperty("cluster").GetString());
        Assert.DoesNotContain(entries, e => e.GetProperty("id").GetString() == ok);

        // The Telemetry API replaces MeshConfig's accessLogFile, as in Istio.
        Assert.False(File.Exists(_legacyLog) && File.ReadAllText(_legacyLog).Contains(failed, StringComparison.Ordinal), "MeshConfig's log was written too");
    }
}
