using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>
/// Istio's JWT task ("Authentication policy", RequestAuthentication on httpbin) on a real mesh: meshd
/// fetches the task's JWKS from a jwksUri served here, the server's sidecar verifies, the client's
/// sidecar carries the requests. Tokens are Istio's demo.jwt and ones minted with its key.pem.
/// </summary>
public sealed class RequestAuthenticationMesh : IAsyncLifetime
{
    public const string Issuer = "testing@secure.istio.io";

    private WebApplication? _jwksServer;

    public MeshHarness Mesh { get; private set; } = null!;

    public ProxyProcess Client { get; private set; } = null!;

    public int JwksFetches;

    public static string SamplesJwt(string file) => Path.Combine(MeshdProcess.SharedSamples, "security", "jwt", file);

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _jwksServer = builder.Build();
        var jwks = await File.ReadAllTextAsync(SamplesJwt("jwks.json"));
        _jwksServer.MapGet("/jwks.json", () =>
        {
            Interlocked.Increment(ref JwksFetches);
            return Results.Text(jwks, "application/json");
        });
        await _jwksServer.StartAsync();
        var jwksUri = $"{_jwksServer.Urls.Single()}/jwks.json";

        var policy = $$$"""
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata: {name: jwt-example, namespace: default}
            spec:
              selector: {matchLabels: {app: httpbin}}
              jwtRules:
              - issuer: "{{{Issuer}}}"
                jwksUri: "{{{jwksUri}}}"
                outputClaimToHeaders: [{header: x-jwt-foo, claim: foo}]
            """;
        Mesh = await MeshHarness.StartAsync(("services.yaml", HttpMeshes.Service("httpbin", "app: httpbin")), ("jwt.yaml", policy));
        await Mesh.AddWorkloadAsync("httpbin", "default", "app=httpbin");
        Client = await Mesh.AddClientAsync("sleep", "default", "app=sleep");
        // Ready once meshd has fetched the keys and the sidecar verifies Istio's demo token.
        await MeshHarness.UntilAsync(Client, () => Get(Demo), (r, _) => r.StatusCode == HttpStatusCode.OK, "the demo token accepted");
    }

    public async Task DisposeAsync()
    {
        await Mesh.DisposeAsync();
        if (_jwksServer != null)
        {
            await _jwksServer.DisposeAsync();
        }
    }

    public static string Demo => File.ReadAllText(SamplesJwt("demo.jwt")).Trim();

    public static HttpRequestMessage Get(string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "http://httpbin.default.svc.cluster.local:9080/headers");
        if (token != null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        }

        return request;
    }

    /// <summary>A token signed with the task's private key.</summary>
    public static string Mint(object claims, string alg = "RS256")
    {
        using var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(SamplesJwt("key.pem")));
        var header = Encode(JsonSerializer.SerializeToUtf8Bytes(new { alg, kid = "DHFbpoIUqrY8t2zpA2qXfCmr5VO5ZEr4RzHU_-envvQ", typ = "JWT" }));
        var payload = Encode(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signature = rsa.SignData(Encoding.ASCII.GetBytes($"{header}.{payload}"), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{header}.{payload}.{Encode(signature)}";
    }

    public static string Encode(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}

public sealed class RequestAuthenticationTests(RequestAuthenticationMesh mesh) : IClassFixture<RequestAuthenticationMesh>
{
    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> SendAsync(string? token)
    {
        using var http = mesh.Client.AppClient(TimeSpan.FromSeconds(10));
        var response = await http.SendAsync(RequestAuthenticationMesh.Get(token));
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    [Fact]
    public async Task Request_WithIstiosDemoToken_ReachesTheAppWithTheClaimAndWithoutTheToken()
    {
        var (status, body, _) = await SendAsync(RequestAuthenticationMesh.Demo);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("bar", HttpMeshes.EchoedHeader(body, "x-jwt-foo"));
        Assert.Null(HttpMeshes.EchoedHeader(body, "authorization"));
        Assert.True(mesh.JwksFetches >= 1);
    }

    [Fact]
    public async Task Request_WithoutToken_PassesWithoutIdentity()
    {
        var (status, body, _) = await SendAsync(null);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Null(HttpMeshes.EchoedHeader(body, "x-jwt-foo"));
    }

    [Fact]
    public async Task Request_ForgedClaimHeaderWithoutToken_IsRemoved()
    {
        using var http = mesh.Client.AppClient(TimeSpan.FromSeconds(10));
        var request = RequestAuthenticationMesh.Get(null);
        request.Headers.Add("x-jwt-foo", "admin");

        using var response = await http.SendAsync(request);

        Assert.Null(HttpMeshes.EchoedHeader(await response.Content.ReadAsStringAsync(), "x-jwt-foo"));
    }

    [Theory]
    [InlineData("deadbeef", "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections")]
    [InlineData("expired", "Jwt is expired")]
    [InlineData("other-issuer", "Jwt issuer is not configured")]
    [InlineData("bad-signature", "Jwt verification fails")]
    [InlineData("alg-none", "Jwt header [alg] is not supported")]
    public async Task Request_WithABadToken_Is401WithEnvoysReason(string kind, string reason)
    {
        var token = kind switch
        {
            "expired" => RequestAuthenticationMesh.Mint(new { iss = RequestAuthenticationMesh.Issuer, sub = "x", exp = Now - 3600 }),
            "other-issuer" => RequestAuthenticationMesh.Mint(new { iss = "attacker@example.com", sub = "x", exp = Now + 3600 }),
            "bad-signature" => RequestAuthenticationMesh.Mint(new { iss = RequestAuthenticationMesh.Issuer, sub = "x", exp = Now + 3600 })[..^4] + "AAAA",
            "alg-none" => RequestAuthenticationMesh.Encode("""{"alg":"none"}"""u8.ToArray()) + "." + RequestAuthenticationMesh.Encode(JsonSerializer.SerializeToUtf8Bytes(new { iss = RequestAuthenticationMesh.Issuer, sub = "admin" })) + ".",
            _ => kind,
        };

        var (status, body, response) = await SendAsync(token);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(reason, body);
        Assert.Contains("error=\"invalid_token\"", string.Join(",", response.Headers.WwwAuthenticate.Select(h => h.ToString())));
    }
}
