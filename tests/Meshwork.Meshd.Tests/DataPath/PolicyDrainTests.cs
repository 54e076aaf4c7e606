using System.Net;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>
/// A policy change reaches connections that were already open: the server sidecar drains the
/// connections of its replaced inbound listener (closes them after their next response), so the
/// client sidecar's pooled keep-alive connection cannot keep the old, permissive filters.
/// </summary>
public sealed class PolicyDrainTests : IAsyncLifetime
{
    private MeshHarness _mesh = null!;
    private ProxyProcess _client = null!;

    public async Task InitializeAsync()
    {
        _mesh = await MeshHarness.StartAsync(("services.yaml", HttpMeshes.Service("web", "app: web")));
        await _mesh.AddWorkloadAsync("web", "default", "app=web");
        _client = await _mesh.AddClientAsync("sleep", "default", "app=sleep");
    }

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    private static HttpRequestMessage Get() => new(HttpMethod.Get, "http://web.default.svc.cluster.local:9080/kept-alive");

    [Fact]
    public async Task DenyPolicyAdded_ReachesThePooledKeepAliveConnection()
    {
        // Requests flow over the client sidecar's pooled connection to web's sidecar.
        await MeshHarness.UntilAsync(_client, Get, (r, _) => r.StatusCode == HttpStatusCode.OK, "web reachable");
        using (var app = _client.AppClient())
        {
            for (var i = 0; i < 3; i++)
            {
                using var response = await app.SendAsync(Get());
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        await _mesh.ApplyAsync("deny.yaml", """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: deny-all, namespace: default}
            spec:
              selector: {matchLabels: {app: web}}
              action: DENY
              rules: [{}]
            """);

        // Without draining, the open connection would keep the old filters for as long as the pool keeps it.
        await MeshHarness.UntilAsync(_client, Get, (r, body) => r.StatusCode == HttpStatusCode.Forbidden && body == "RBAC: access denied", "the DENY policy on the kept-alive path");
    }
}
