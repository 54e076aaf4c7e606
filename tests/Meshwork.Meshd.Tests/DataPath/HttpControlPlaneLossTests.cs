using System.Net;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>Sidecars keep serving with the config they have when meshd goes away (as Envoy keeps its last xDS).</summary>
[Collection("http-e2e")]
public sealed class HttpControlPlaneLossTests
{
    [Fact]
    public async Task MeshdGone_RequestsThroughSidecars_StillSucceed()
    {
        await using var mesh = await MeshHarness.StartAsync(
            ("services.yaml", HttpMeshes.Service("echo", "app: echo")),
            ("routes.yaml", HttpMeshes.VirtualService("echo", """
                - match: [{uri: {prefix: /v2/}}]
                  rewrite: {uri: /}
                  route: [{destination: {host: echo.default.svc.cluster.local}}]
                - route: [{destination: {host: echo.default.svc.cluster.local}}]
                """)));
        var (_, app) = await mesh.AddWorkloadAsync("echo-v1", "default", "app=echo,version=v1");
        var client = await mesh.AddClientAsync("client", "default", "app=client");
        await MeshHarness.UntilAsync(client, () => new HttpRequestMessage(HttpMethod.Get, "http://echo:9080/v2/ready"), (r, b) => r.StatusCode == HttpStatusCode.OK && HttpMeshes.Echoed(b, "path") == "/ready", "echo routed");

        await mesh.Meshd.DisposeAsync();

        var requests = app.Requests;
        using var http = client.AppClient();
        for (var i = 0; i < 20; i++)
        {
            using var response = await http.GetAsync($"http://echo:9080/v2/after-{i}");
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}");
            Assert.Equal($"/after-{i}", HttpMeshes.Echoed(body, "path"));
        }

        Assert.Equal(requests + 20, app.Requests);
        Assert.False(client.HasExited, client.Output);
    }
}
