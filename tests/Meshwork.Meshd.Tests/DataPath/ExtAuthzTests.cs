using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>
/// Istio's "External Authorization" task on real meshd and mesh-proxy processes: a sample ext-authz
/// HTTP server registered by a ServiceEntry, MeshConfig providers for it (and for a service nobody
/// listens on, fail closed and fail open), the sample's gRPC server, and CUSTOM policies on
/// <c>/headers</c> for five workloads: web (the HTTP provider), grpc (the gRPC provider), closed and
/// open (the dead provider without and with failOpen) and unknown (a provider MeshConfig does not define);
/// and tcpdb, a TCP echo service whose CUSTOM policy (the gRPC provider) checks every connection.
/// </summary>
public sealed class ExtAuthzMesh : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];

    public MeshHarness Mesh { get; private set; } = null!;

    public SampleExtAuthz Authz { get; private set; } = null!;

    public SampleGrpcExtAuthz GrpcAuthz { get; private set; } = null!;

    public TestBackend GrpcApp { get; private set; } = null!;

    public TestBackend WebApp { get; private set; } = null!;

    public Dictionary<string, ProxyProcess> Sidecars { get; } = [];

    /// <summary>The source address the gRPC provider allows connection checks from (any other is denied).</summary>
    public const string AllowedTcpSource = "127.0.0.9";

    private static string MeshConfig => """
        extensionProviders:
        - name: sample-ext-authz-http
          envoyExtAuthzHttp:
            service: ext-authz.default.svc.cluster.local
            port: "8000"
            includeRequestHeadersInCheck: ["x-ext-authz"]
            headersToUpstreamOnAllow: ["x-ext-authz-check-result"]
            headersToDownstreamOnDeny: ["content-type", "x-ext-authz-check-result"]
        - name: sample-ext-authz-grpc
          envoyExtAuthzGrpc:
            service: ext-authz-grpc.default.svc.cluster.local
            port: "9000"
        - name: down
          envoyExtAuthzHttp:
            service: ext-authz-down.default.svc.cluster.local
            port: 8000
        - name: down-open
          envoyExtAuthzHttp:
            service: default/ext-authz-down.default.svc.cluster.local
            port: 8000
            failOpen: true
        """;

    private static string Provider(string name, int port, string protocol = "HTTP") => $$$"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: {{{name}}}, namespace: default}
        spec:
          hosts: [{{{name}}}.default.svc.cluster.local]
          location: MESH_INTERNAL
          ports: [{number: {{{(protocol == "GRPC" ? 9000 : 8000)}}}, name: p, protocol: {{{protocol}}}}]
          resolution: STATIC
          endpoints: [{address: 127.0.0.1, ports: {p: {{{port}}}}}]
        ---

        """;

    private static string Custom(string app, string provider) => $$$"""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: ext-authz-{{{app}}}, namespace: default}
        spec:
          selector: {matchLabels: {app: {{{app}}}}}
          action: CUSTOM
          provider: {name: {{{provider}}}}
          rules:
          - to: [{operation: {paths: ["/headers"]}}]
        ---

        """;

    public async Task InitializeAsync()
    {
        Authz = await SampleExtAuthz.StartAsync();
        _owned.Add(Authz);
        GrpcAuthz = await SampleGrpcExtAuthz.StartAsync();
        _owned.Add(GrpcAuthz);
        var apps = new[] { ("web", "sample-ext-authz-http"), ("grpc", "sample-ext-authz-grpc"), ("closed", "down"), ("open", "down-open"), ("unknown", "no-such-provider") };
        Mesh = await MeshHarness.StartWithMeshConfigAsync(
            MeshConfig,
            ("services.yaml", Provider("ext-authz", Authz.Port) + Provider("ext-authz-grpc", GrpcAuthz.Port, "GRPC") + Provider("ext-authz-down", LoopbackPorts.FreePort()) + string.Join("---\n", apps.Select(a => EdgeProtocolMesh.Service(a.Item1, 9080, "HTTP"))) + "---\n" + EdgeProtocolMesh.Service("tcpdb", 9000, "TCP")),
            ("policies.yaml", string.Concat(apps.Select(a => Custom(a.Item1, a.Item2))) + Custom("tcpdb", "sample-ext-authz-grpc")));
        GrpcAuthz.AllowedSource = AllowedTcpSource;
        var echo = TcpEchoServer.Start();
        _owned.Add(echo);
        Sidecars["tcpdb"] = await EdgeProtocolMesh.StartSidecarAsync(Mesh, _owned, "tcpdb", "app=tcpdb", $"9000=127.0.0.1:{echo.Port}");
        foreach (var (app, _) in apps)
        {
            var backend = await TestBackend.StartAsync(app);
            _owned.Add(backend);
            WebApp = app == "web" ? backend : WebApp;
            GrpcApp = app == "grpc" ? backend : GrpcApp;
            Sidecars[app] = await EdgeProtocolMesh.StartSidecarAsync(Mesh, _owned, app, $"app={app}", $"9080=127.0.0.1:{backend.Port}");
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        await Mesh.DisposeAsync();
    }
}

/// <summary>Istio's samples/extauthz HTTP server: allows a request carrying <c>x-ext-authz: allow</c>, else 403 with its message; counts checks.</summary>
public sealed class SampleExtAuthz : IAsyncDisposable
{
    public const string DeniedBody = "denied by ext_authz for not found header `x-ext-authz: allow` in the request";

    private readonly WebApplication _app;
    private int _checks;

    private SampleExtAuthz(WebApplication app) => _app = app;

    public int Port { get; private set; }

    public int Checks => Volatile.Read(ref _checks);

    public static async Task<SampleExtAuthz> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new SampleExtAuthz(app);
        app.Run(server.CheckAsync);
        await app.StartAsync();
        server.Port = new Uri(app.Urls.First()).Port;
        return server;
    }

    private async Task CheckAsync(HttpContext context)
    {
        Interlocked.Increment(ref _checks);
        if (context.Request.Headers["x-ext-authz"] == "allow")
        {
            context.Response.Headers["x-ext-authz-check-result"] = "allowed";
            return;
        }

        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        context.Response.Headers["x-ext-authz-check-result"] = "denied";
        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync(DeniedBody);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>
/// Istio's samples/extauthz gRPC server (envoy.service.auth.v3.Authorization/Check): the same decision
/// as the HTTP one, as a CheckResponse; a connection check (no HTTP request) is allowed only from
/// <see cref="AllowedSource"/>, as the sample allows by the caller's identity.
/// </summary>
public sealed class SampleGrpcExtAuthz : Envoy.Service.Auth.V3.Authorization.AuthorizationBase, IAsyncDisposable
{
    private WebApplication? _app;

    public int Port { get; private set; }

    public string? AllowedSource { get; set; }

    public static async Task<SampleGrpcExtAuthz> StartAsync()
    {
        var server = new SampleGrpcExtAuthz();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(server);
        server._app = builder.Build();
        server._app.MapGrpcService<SampleGrpcExtAuthz>();
        await server._app.StartAsync();
        server.Port = new Uri(server._app.Urls.First()).Port;
        return server;
    }

    public override Task<Envoy.Service.Auth.V3.CheckResponse> Check(Envoy.Service.Auth.V3.CheckRequest request, Grpc.Core.ServerCallContext context)
    {
        static Envoy.Config.Core.V3.HeaderValueOption Header(string value) =>
            new() { Header = new Envoy.Config.Core.V3.HeaderValue { Key = "x-ext-authz-check-result", Value = value } };

        var allowed = request.Attributes.Request.Http is { } http
            ? http.Headers.TryGetValue("x-ext-authz", out var value) && value == "allow"
            : request.Attributes.Source.Address.SocketAddress.Address == AllowedSource;
        if (allowed)
        {
            return Task.FromResult(new Envoy.Service.Auth.V3.CheckResponse
            {
                Status = new Google.Rpc.Status(),
                OkResponse = new Envoy.Service.Auth.V3.OkHttpResponse { Headers = { Header("allowed") } },
            });
        }

        return Task.FromResult(new Envoy.Service.Auth.V3.CheckResponse
        {
            Status = new Google.Rpc.Status { Code = 7 },
            DeniedResponse = new Envoy.Service.Auth.V3.DeniedHttpResponse
            {
                Status = new Envoy.Type.V3.HttpStatus { Code = Envoy.Type.V3.StatusCode.Forbidden },
                Headers = { Header("denied") },
                Body = SampleExtAuthz.DeniedBody,
            },
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_app != null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}

/// <summary>Requests to each workload's inbound listener, as a caller in the mesh would send them.</summary>
public sealed class ExtAuthzTests(ExtAuthzMesh mesh) : IClassFixture<ExtAuthzMesh>
{
    private async Task<(int Status, HttpResponseMessage Response, string Body)> SendAsync(string app, string path, string? extAuthz = null)
    {
        var proxy = mesh.Sidecars[app];
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{proxy.Ip}:9080{path}");
        request.Headers.Host = $"{app}.default.svc.cluster.local";
        if (extAuthz != null)
        {
            request.Headers.Add("x-ext-authz", extAuthz);
        }

        var response = await http.SendAsync(request);
        return ((int)response.StatusCode, response, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Custom_AllowHeader_ReachesTheAppWithTheProvidersHeader()
    {
        var (status, _, body) = await SendAsync("web", "/headers", "allow");

        Assert.Equal(200, status);
        Assert.Equal("web", MeshHarness.BackendOf(body));
        Assert.Equal("allowed", mesh.WebApp.LastHeaders["x-ext-authz-check-result"]);
        Assert.True(await MeshHarness.StatAtLeastAsync(mesh.Sidecars["web"], $"http.inbound_{mesh.Sidecars["web"].Ip}_9080.ext_authz.ok", 1) >= 1);
    }

    [Fact]
    public async Task Custom_OtherHeaderValue_DeniedWithTheProvidersAnswer()
    {
        var (status, response, body) = await SendAsync("web", "/headers", "deny");

        Assert.Equal(403, status);
        Assert.Equal(SampleExtAuthz.DeniedBody, body);
        Assert.Equal("denied", response.Headers.GetValues("x-ext-authz-check-result").Single());
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Custom_PathOutsideTheRule_NeverCallsTheProvider()
    {
        var before = mesh.Authz.Checks;

        var (status, _, body) = await SendAsync("web", "/ip");

        Assert.Equal(200, status);
        Assert.Equal("web", MeshHarness.BackendOf(body));
        Assert.Equal(before, mesh.Authz.Checks);
    }

    [Fact]
    public async Task Custom_GrpcProvider_AllowsWithItsHeaderAndDeniesWithItsAnswer()
    {
        var (allowed, _, allowedBody) = await SendAsync("grpc", "/headers", "allow");
        var (denied, response, deniedBody) = await SendAsync("grpc", "/headers");

        Assert.Equal(200, allowed);
        Assert.Equal("grpc", MeshHarness.BackendOf(allowedBody));
        Assert.Equal("allowed", mesh.GrpcApp.LastHeaders["x-ext-authz-check-result"]);
        Assert.Equal(403, denied);
        Assert.Equal(SampleExtAuthz.DeniedBody, deniedBody);
        Assert.Equal("denied", response.Headers.GetValues("x-ext-authz-check-result").Single());
    }

    [Fact]
    public async Task Custom_ProviderDown_FailsClosedWith403()
    {
        var (status, _, _) = await SendAsync("closed", "/headers", "allow");
        var (outside, _, _) = await SendAsync("closed", "/ip");

        Assert.Equal(403, status);
        Assert.Equal(200, outside);
        var proxy = mesh.Sidecars["closed"];
        Assert.True(await MeshHarness.StatAtLeastAsync(proxy, $"http.inbound_{proxy.Ip}_9080.ext_authz.error", 1) >= 1);
    }

    [Fact]
    public async Task Custom_ProviderDownWithFailOpen_Passes()
    {
        var (status, _, body) = await SendAsync("open", "/headers");

        Assert.Equal(200, status);
        Assert.Equal("open", MeshHarness.BackendOf(body));
    }

    [Fact]
    public async Task Custom_UnknownProvider_StillDeniesWhatTheRuleMatches()
    {
        var (status, _, body) = await SendAsync("unknown", "/headers", "allow");
        var (outside, _, _) = await SendAsync("unknown", "/ip");

        Assert.Equal(403, status);
        Assert.Equal("RBAC: access denied", body);
        Assert.Equal(200, outside);
        await MeshHarness.Eventually(
            () => Task.FromResult(mesh.Mesh.Meshd.Output.Contains("AuthorizationPolicy default/ext-authz-unknown: CUSTOM provider: available providers are", StringComparison.Ordinal)),
            "meshd logs the unusable provider",
            () => mesh.Mesh.Meshd.Output);
    }

    [Fact]
    public async Task Custom_GrpcProviderOnATcpPort_ChecksEachConnectionAndClosesDeniedOnes()
    {
        var proxy = mesh.Sidecars["tcpdb"];

        Assert.Equal("ping[eof]", await EchoFromAsync(proxy, ExtAuthzMesh.AllowedTcpSource)); // the echo app marks the half-close
        Assert.Equal(string.Empty, await EchoFromAsync(proxy, "127.0.0.10"));
        Assert.True(await MeshHarness.StatAtLeastAsync(proxy, "ext_authz.tcp.ok", 1) >= 1, await MeshHarness.StatsAsync(proxy));
        Assert.True(await MeshHarness.StatAtLeastAsync(proxy, "ext_authz.tcp.denied", 1) >= 1, await MeshHarness.StatsAsync(proxy));
    }

    /// <summary>"ping" to the sidecar's TCP port from <paramref name="source"/>, and what came back before the proxy closed.</summary>
    private static async Task<string> EchoFromAsync(ProxyProcess proxy, string source) =>
        System.Text.Encoding.UTF8.GetString(await TcpEchoServer.ExchangeAsync(new IPEndPoint(IPAddress.Parse(proxy.Ip), 9000), "ping"u8.ToArray(), IPAddress.Parse(source)));
}
