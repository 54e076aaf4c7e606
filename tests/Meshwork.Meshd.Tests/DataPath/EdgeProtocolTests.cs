using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>
/// A mesh for protocol tests: "web" (port 9080 HTTP, an HTTP/1.1 app with a WebSocket echo) and
/// "grpc" (port 9090 GRPC, an h2c gRPC app), each behind its own sidecar, and a client sidecar.
/// </summary>
public sealed class EdgeProtocolMesh : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];

    public MeshHarness Mesh { get; private set; } = null!;

    public ProxyProcess Web { get; private set; } = null!;

    public EdgeApp WebApp { get; private set; } = null!;

    public ProxyProcess Grpc { get; private set; } = null!;

    public ProxyProcess Client { get; private set; } = null!;

    public static string Service(string name, int port, string protocol) => $"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {"{"}name: {name}, namespace: default{"}"}
        spec:
          hosts: [{name}.default.svc.cluster.local]
          location: MESH_INTERNAL
          ports: [{"{"}number: {port}, name: {protocol.ToLowerInvariant()}, protocol: {protocol}{"}"}]
          resolution: STATIC
          workloadSelector: {"{"}labels: {"{"}app: {name}{"}"}{"}"}

        """;

    public async Task InitializeAsync()
    {
        Mesh = await MeshHarness.StartAsync(("services.yaml", Service("web", 9080, "HTTP") + "---\n" + Service("grpc", 9090, "GRPC")));
        WebApp = await EdgeApp.StartAsync("web", HttpProtocols.Http1);
        _owned.Add(WebApp);
        var grpcApp = await EdgeApp.StartAsync("grpc", HttpProtocols.Http2);
        _owned.Add(grpcApp);
        Web = await StartSidecarAsync(Mesh, _owned, "web", "app=web", $"9080=127.0.0.1:{WebApp.Port}");
        Grpc = await StartSidecarAsync(Mesh, _owned, "grpc", "app=grpc", $"9090=127.0.0.1:{grpcApp.Port}");
        Client = await Mesh.AddClientAsync("client", "default", "app=client");
    }

    /// <summary>A sidecar in front of an app of the test's own (the harness's workloads are TestBackends); disposed with <paramref name="owned"/>.</summary>
    public static async Task<ProxyProcess> StartSidecarAsync(MeshHarness mesh, List<IAsyncDisposable> owned, string name, string labels, params string[] inbound)
    {
        var proxy = ProxyProcess.Start(mesh.Meshd.XdsPort, name, "default", mesh.NextIp(), labels, "default", inbound);
        owned.Insert(0, proxy);
        await mesh.WaitReadyAsync(proxy);
        await WaitBoundAsync(mesh, proxy, $"{proxy.Ip}:{inbound[0].Split('=')[0]}");
        return proxy;
    }

    /// <summary>
    /// Waits until the proxy's /listeners shows <paramref name="address"/> bound. A workload's own
    /// inbound listeners come with the push that follows its registration, after /ready.
    /// </summary>
    public static async Task WaitBoundAsync(MeshHarness mesh, ProxyProcess proxy, string address)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await MeshHarness.Eventually(
            async () => (await http.GetStringAsync(proxy.Admin("/listeners"))).Contains($"::{address}\n", StringComparison.Ordinal),
            $"{address} bound by {proxy.Ip}",
            () => proxy.Output + "\n--- meshd ---\n" + mesh.Meshd.Output);
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

/// <summary>HTTP/2 (h2c), gRPC and WebSocket through real sidecars.</summary>
public sealed class EdgeProtocolTests(EdgeProtocolMesh mesh) : IClassFixture<EdgeProtocolMesh>
{
    private static readonly HttpClient Admin = new() { Timeout = TimeSpan.FromSeconds(5) };

    private static readonly Marshaller<string> Utf8 = Marshallers.Create(s => Encoding.UTF8.GetBytes(s), b => Encoding.UTF8.GetString(b));

    private static Method<string, string> GrpcMethod(MethodType type, string name) => new(type, "edge.Echo", name, Utf8, Utf8);

    /// <summary>An HTTP/2-only client whose every connection goes to <paramref name="ip"/>:<paramref name="port"/> whatever the URL says (so :authority can name a service).</summary>
    private static SocketsHttpHandler PinnedHandler(string ip, int port) => new()
    {
        ConnectCallback = async (_, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(IPAddress.Parse(ip), port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        },
    };

    private static async Task<HttpResponseMessage> H2cGetAsync(SocketsHttpHandler handler, string url)
    {
        using var http = new HttpClient(handler, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(10) };
        return await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, url) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact });
    }

    [Fact]
    public async Task H2c_PriorKnowledgeToInboundListener_ReachesTheApp()
    {
        var before = mesh.WebApp.Requests;
        using var handler = PinnedHandler(mesh.Web.Ip, 9080);

        using var response = await H2cGetAsync(handler, $"http://{mesh.Web.Ip}:9080/h2c/inbound");

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("web HTTP/1.1 GET /h2c/inbound", await response.Content.ReadAsStringAsync());
        Assert.Equal(before + 1, mesh.WebApp.Requests);
    }

    [Fact]
    public async Task H2c_PriorKnowledgeToOutboundPort_RoutesByAuthorityToTheService()
    {
        using var handler = PinnedHandler(mesh.Client.Ip, mesh.Client.OutboundPort);
        HttpResponseMessage? response = null;
        await MeshHarness.Eventually(
            async () =>
            {
                response?.Dispose();
                response = await H2cGetAsync(handler, "http://web.default.svc.cluster.local:9080/h2c/outbound");
                return response.StatusCode == HttpStatusCode.OK;
            },
            "h2c through the client's outbound port",
            () => $"{(int?)response?.StatusCode} {response?.Content.ReadAsStringAsync().Result}\n{mesh.Client.Output}");

        Assert.Equal(HttpVersion.Version20, response!.Version);
        Assert.Equal("web HTTP/1.1 GET /h2c/outbound", await response.Content.ReadAsStringAsync());
        response.Dispose();
    }

    [Fact]
    public async Task Grpc_UnaryThroughInboundSidecar_AnswersWithTrailersIntact()
    {
        using var channel = GrpcChannel.ForAddress($"http://{mesh.Grpc.Ip}:9090");
        var invoker = channel.CreateCallInvoker();

        using var call = invoker.AsyncUnaryCall(GrpcMethod(MethodType.Unary, "Unary"), null, new CallOptions(), "world");
        var answer = await call.ResponseAsync;

        Assert.Equal("hello world from grpc", answer);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal("kept", call.GetTrailers().GetValue("x-edge-trailer"));
    }

    [Fact]
    public async Task Grpc_ErrorStatusInTrailers_ReachesTheCaller()
    {
        using var channel = GrpcChannel.ForAddress($"http://{mesh.Grpc.Ip}:9090");

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await channel.CreateCallInvoker().AsyncUnaryCall(GrpcMethod(MethodType.Unary, "Missing"), null, new CallOptions(), "x"));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("no such thing", error.Status.Detail);
        Assert.Equal("kept", error.Trailers.GetValue("x-edge-trailer"));
    }

    [Fact]
    public async Task Grpc_ServerStreamingThroughInboundSidecar_DeliversEveryMessageThenTheStatus()
    {
        using var channel = GrpcChannel.ForAddress($"http://{mesh.Grpc.Ip}:9090");

        using var call = channel.CreateCallInvoker().AsyncServerStreamingCall(GrpcMethod(MethodType.ServerStreaming, "Stream"), null, new CallOptions(), "5");
        var items = new List<string>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            items.Add(call.ResponseStream.Current);
        }

        Assert.Equal(["item 1", "item 2", "item 3", "item 4", "item 5"], items);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal("kept", call.GetTrailers().GetValue("x-edge-trailer"));
    }

    [Fact]
    public async Task Grpc_RouteTimeoutThroughOutboundSidecar_AnswersUnavailableAsEnvoy()
    {
        await mesh.Mesh.ApplyAsync("grpc-timeout.yaml", """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: grpc-timeout, namespace: default}
            spec:
              hosts: [grpc.default.svc.cluster.local]
              http:
              - timeout: 3s
                route:
                - destination: {host: grpc.default.svc.cluster.local, port: {number: 9090}}
            """);
        using var channel = GrpcChannel.ForAddress("http://grpc.default.svc.cluster.local:9090", new GrpcChannelOptions { HttpHandler = PinnedHandler(mesh.Client.Ip, mesh.Client.OutboundPort) });
        var invoker = channel.CreateCallInvoker();
        await MeshHarness.Eventually(
            async () => (await Admin.GetStringAsync(mesh.Client.Admin("/config_dump"))).Contains("\"timeout\": \"3s\"", StringComparison.Ordinal),
            "the route timeout applied by the client's sidecar",
            () => mesh.Client.Output);
        await MeshHarness.Eventually(
            async () =>
            {
                try
                {
                    return await invoker.AsyncUnaryCall(GrpcMethod(MethodType.Unary, "Unary"), null, new CallOptions(), "through") == "hello through from grpc";
                }
                catch (RpcException)
                {
                    return false;
                }
            },
            "a quick call through the client's sidecar",
            () => mesh.Client.Output);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await invoker.AsyncUnaryCall(GrpcMethod(MethodType.Unary, "Slow"), null, new CallOptions(), "x"));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal("upstream request timeout", error.Status.Detail);
    }

    [Fact]
    public async Task WebSocket_UpgradeThroughInboundSidecar_EchoesBothWays()
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{mesh.Web.Ip}:9080/ws"), CancellationToken.None);

        var answers = new List<string>();
        foreach (var message in new[] { "one", "two" })
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, CancellationToken.None);
            var buffer = new byte[1024];
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            answers.Add(Encoding.UTF8.GetString(buffer, 0, received.Count));
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        Assert.Equal(["web: one", "web: two"], answers);
        Assert.Equal(WebSocketState.Closed, socket.State);
        Assert.Equal("bye", socket.CloseStatusDescription);
    }
}
