using System.Text.Json;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>
/// Config that meshd accepts and the proxy cannot run is NACKed: the proxy keeps serving the last
/// good config and meshd's /debug/syncz shows the NACK with the proxy's reason.
/// </summary>
public sealed class EdgeNackTests : IAsyncLifetime
{
    private MeshHarness _mesh = null!;
    private ProxyProcess _client = null!;

    private static string Routes(string secondMatch) => $$$"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: web, namespace: default}
        spec:
          hosts: [web.default.svc.cluster.local]
          http:
          - match: [{uri: {prefix: /good}}]
            route: [{destination: {host: web.default.svc.cluster.local}}]
          - match: [{uri: {{{secondMatch}}}}]
            directResponse: {status: 418}

        """;

    public async Task InitializeAsync()
    {
        _mesh = await MeshHarness.StartAsync(("services.yaml", EdgeProtocolMesh.Service("web", 9080, "HTTP")), ("web-vs.yaml", Routes("{prefix: /teapot}")));
        await _mesh.AddWorkloadAsync("web", "default", "app=web");
        _client = await _mesh.AddClientAsync("client", "default", "app=client");
    }

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    private static Func<HttpRequestMessage> Get(string path) => () => new HttpRequestMessage(HttpMethod.Get, "http://web.default.svc.cluster.local:9080" + path);

    [Fact]
    public async Task Nack_RegexRe2AcceptsButDotNetCannot_KeepsLastGoodConfigAndSynczShowsIt()
    {
        await MeshHarness.UntilAsync(_client, Get("/teapot"), (r, _) => (int)r.StatusCode == 418, "the first config in force");

        // RE2's ungreedy flag (?U): Istio's validation (RE2) accepts it; .NET's regex engine has no such option.
        await _mesh.ApplyAsync("web-vs.yaml", Routes("{regex: \"(?U)/nack/a+\"}"));

        JsonElement nacked = default;
        var syncz = string.Empty;
        await MeshHarness.Eventually(
            async () =>
            {
                syncz = await _mesh.Meshd.Http.GetStringAsync(_mesh.Meshd.Monitoring("/debug/syncz"));
                var proxy = JsonDocument.Parse(syncz).RootElement.EnumerateArray().FirstOrDefault(p => p.GetProperty("proxy").GetString()!.Contains(_client.Ip, StringComparison.Ordinal));
                if (proxy.ValueKind != JsonValueKind.Object)
                {
                    return false;
                }

                nacked = proxy.GetProperty("types").EnumerateObject().Select(t => t.Value).FirstOrDefault(t => t.GetProperty("status").GetString() == "NACKED");
                return nacked.ValueKind == JsonValueKind.Object;
            },
            "the client's NACK in /debug/syncz",
            () => syncz + "\n" + _client.Output + "\n--- meshd ---\n" + _mesh.Meshd.Output);

        Assert.Contains("(?U)/nack/a+", nacked.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.NotEqual(nacked.GetProperty("versionSent").ToString(), nacked.GetProperty("versionAcked").ToString());
        // The last good routes still serve: /teapot still answers 418, /good still reaches the app.
        using var app = _client.AppClient();
        using (var teapot = await app.SendAsync(Get("/teapot")()))
        {
            Assert.Equal(418, (int)teapot.StatusCode);
        }

        using var good = await app.SendAsync(Get("/good")());
        Assert.Equal("web", MeshHarness.BackendOf(await good.Content.ReadAsStringAsync()));
        Assert.False(_client.HasExited);
    }
}
