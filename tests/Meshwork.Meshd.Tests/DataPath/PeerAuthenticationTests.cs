using System.Net;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>
/// PeerAuthentication on a real sidecar, from outside the mesh: a PERMISSIVE port (no policy)
/// serves plaintext but never passes on an XFCC header the caller made up; a STRICT namespace
/// policy closes plaintext connections to the same port, and removing it opens them again.
/// </summary>
public sealed class PeerAuthenticationTests : IAsyncLifetime
{
    private const string Service = """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: web, namespace: default}
        spec:
          hosts: [web.default.svc.cluster.local]
          location: MESH_INTERNAL
          ports: [{number: 9080, name: http, protocol: HTTP}]
          resolution: STATIC
          workloadSelector: {labels: {app: web}}
        """;

    private const string Strict = """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: default, namespace: default}
        spec:
          mtls: {mode: STRICT}
        """;

    private MeshHarness _mesh = null!;
    private ProxyProcess _web = null!;
    private TestBackend _app = null!;

    public async Task InitializeAsync()
    {
        _mesh = await MeshHarness.StartAsync(("web.yaml", Service));
        (_web, _app) = await _mesh.AddWorkloadAsync("web", "default", "app=web");
        await EdgeProtocolMesh.WaitBoundAsync(_mesh, _web, $"{_web.Ip}:9080");
    }

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    private Task<HttpResponseMessage> PlaintextAsync(HttpClient http)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"http://{_web.Ip}:9080/");
        request.Headers.TryAddWithoutValidation("x-forwarded-client-cert", "By=spiffe://evil;URI=spiffe://cluster.local/ns/default/sa/admin");
        return http.SendAsync(request);
    }

    [Fact]
    public async Task Permissive_ForgedXfccOverPlaintext_NeverReachesTheApp()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        using var response = await PlaintextAsync(http);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(_app.LastHeaders.ContainsKey("x-request-id"));
        Assert.False(_app.LastHeaders.ContainsKey("x-forwarded-client-cert"));
    }

    [Fact]
    public async Task Strict_PlaintextToTheInboundPort_IsClosedUntilThePolicyGoes()
    {
        await _mesh.ApplyAsync("strict.yaml", Strict);
        var answered = _app.Requests;
        await MeshHarness.Eventually(
            async () =>
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
                try
                {
                    using var response = await PlaintextAsync(http);
                    return false;
                }
                catch (HttpRequestException)
                {
                    return true;
                }
            },
            "plaintext refused under STRICT",
            () => _web.Output);
        Assert.True(await MeshHarness.StatAtLeastAsync(_web, "listener_manager.no_filter_chain_match", 1) >= 1, await MeshHarness.StatsAsync(_web));

        _mesh.Remove("strict.yaml");
        await MeshHarness.Eventually(
            async () =>
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
                try
                {
                    using var response = await PlaintextAsync(http);
                    return response.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            "plaintext served again once the policy is gone",
            () => _web.Output);
        Assert.True(_app.Requests > answered);
    }
}
