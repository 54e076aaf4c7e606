using System.Net;
using Meshwork.Meshd.Tests.DataPath;

namespace Meshwork.Meshd.Tests.Security;

/// <summary>
/// Istio's "require a JWT" task on a real mesh: httpbin verifies Istio's sample tokens (inline JWKS)
/// and ALLOWs only a request principal, and DENYs a token whose <c>groups</c> claim holds group2.
/// </summary>
public sealed class JwtAuthorizationMesh : IAsyncLifetime
{
    public MeshHarness Mesh { get; private set; } = null!;

    public ProxyProcess Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var jwks = (await File.ReadAllTextAsync(RequestAuthenticationMesh.SamplesJwt("jwks.json"))).Replace("\n", string.Empty, StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal);
        var policies = $$$"""
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata: {name: jwt-example, namespace: default}
            spec:
              selector: {matchLabels: {app: httpbin}}
              jwtRules:
              - issuer: "{{{RequestAuthenticationMesh.Issuer}}}"
                jwks: '{{{jwks}}}'
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: require-jwt, namespace: default}
            spec:
              selector: {matchLabels: {app: httpbin}}
              action: ALLOW
              rules:
              - from: [{source: {requestPrincipals: ["{{{RequestAuthenticationMesh.Issuer}}}/{{{RequestAuthenticationMesh.Issuer}}}"]}}]
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: deny-group2, namespace: default}
            spec:
              selector: {matchLabels: {app: httpbin}}
              action: DENY
              rules:
              - when: [{key: "request.auth.claims[groups]", values: [group2]}]
            """;
        Mesh = await MeshHarness.StartAsync(("services.yaml", HttpMeshes.Service("httpbin", "app: httpbin")), ("policies.yaml", policies));
        await Mesh.AddWorkloadAsync("httpbin", "default", "app=httpbin");
        Client = await Mesh.AddClientAsync("sleep", "default", "app=sleep");
        await MeshHarness.UntilAsync(Client, () => RequestAuthenticationMesh.Get(RequestAuthenticationMesh.Demo), (r, _) => r.StatusCode == HttpStatusCode.OK, "the demo token allowed");
    }

    public async Task DisposeAsync() => await Mesh.DisposeAsync();
}

public sealed class JwtAuthorizationTests(JwtAuthorizationMesh mesh) : IClassFixture<JwtAuthorizationMesh>
{
    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string? token)
    {
        using var http = mesh.Client.AppClient(TimeSpan.FromSeconds(10));
        using var response = await http.SendAsync(RequestAuthenticationMesh.Get(token));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Allow_RequestPrincipalOfAVerifiedToken_Passes()
    {
        var (status, _) = await GetAsync(RequestAuthenticationMesh.Demo);

        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task Allow_NoToken_Answers403()
    {
        // RequestAuthentication lets a request without a token through with no identity; the ALLOW then has nothing to match.
        var (status, body) = await GetAsync(null);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("RBAC: access denied", body);
    }

    [Fact]
    public async Task Deny_ClaimInTheToken_Answers403()
    {
        var token = File.ReadAllText(RequestAuthenticationMesh.SamplesJwt("groups-scope.jwt")).Trim();

        var (status, body) = await GetAsync(token);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("RBAC: access denied", body);
    }
}
