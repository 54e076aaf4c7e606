using System.Net.Sockets;
using System.Text;
using Meshwork.Meshd.Tests.DataPath;

namespace Meshwork.Meshd.Tests.Security;

/// <summary>
/// An HTTP workload (web) and a TCP workload (db) behind real sidecars, with AuthorizationPolicies
/// applied by meshd: web DENYs <c>/admin/*</c> and ALLOWs only requests carrying <c>x-token: open</c>
/// or coming from the namespace <c>trusted</c>; db DENYs every connection from loopback.
/// </summary>
public class AuthorizationMesh : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];

    public MeshHarness Mesh { get; private set; } = null!;

    public ProxyProcess Web { get; private set; } = null!;

    public ProxyProcess Db { get; private set; } = null!;

    public TcpEchoServer Echo { get; private set; } = null!;

    private const string Policies = """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: deny-admin, namespace: default}
        spec:
          selector: {matchLabels: {app: web}}
          action: DENY
          rules:
          - to: [{operation: {paths: [/admin/*]}}]
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: allow-token-or-trusted, namespace: default}
        spec:
          selector: {matchLabels: {app: web}}
          action: ALLOW
          rules:
          - when: [{key: "request.headers[x-token]", values: [open]}]
          - from: [{source: {namespaces: [trusted]}}]
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: deny-loopback, namespace: default}
        spec:
          selector: {matchLabels: {app: db}}
          action: DENY
          rules:
          - from: [{source: {ipBlocks: [127.0.0.0/8]}}]
        """;

    /// <summary>MeshConfig for meshd, or null for the defaults (MERGE_SLASHES).</summary>
    protected virtual string? MeshConfig => null;

    public async Task InitializeAsync()
    {
        Mesh = await MeshHarness.StartWithMeshConfigAsync(
            MeshConfig,
            ("services.yaml", EdgeProtocolMesh.Service("web", 9080, "HTTP") + "---\n" + EdgeProtocolMesh.Service("db", 9000, "TCP")),
            ("policies.yaml", Policies));
        var app = await TestBackend.StartAsync("web");
        _owned.Add(app);
        Echo = TcpEchoServer.Start();
        _owned.Add(Echo);
        Web = await EdgeProtocolMesh.StartSidecarAsync(Mesh, _owned, "web", "app=web", $"9080=127.0.0.1:{app.Port}");
        Db = await EdgeProtocolMesh.StartSidecarAsync(Mesh, _owned, "db", "app=db", $"9000=127.0.0.1:{Echo.Port}");
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

/// <summary>The same mesh with MeshConfig <c>pathNormalization: DECODE_AND_MERGE_SLASHES</c>.</summary>
public sealed class DecodingAuthorizationMesh : AuthorizationMesh
{
    protected override string? MeshConfig => "pathNormalization:\n  normalization: DECODE_AND_MERGE_SLASHES\n";
}

/// <summary>Requests that try to get past the policies, sent byte for byte (no client-side path cleanup) to web's inbound listener.</summary>
public sealed class AuthorizationPolicyTests(AuthorizationMesh mesh) : IClassFixture<AuthorizationMesh>
{
    /// <summary>One HTTP/1.1 request with the exact request target; the status and body of the answer.</summary>
    private Task<(int Status, string Body)> SendAsync(string target, string? token = "open") => SendToAsync(mesh.Web, target, token);

    internal static async Task<(int Status, string Body)> SendToAsync(ProxyProcess web, string target, string? token = "open")
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(web.Ip, 9080, timeout.Token);
        var request = $"GET {target} HTTP/1.1\r\nHost: web.default.svc.cluster.local\r\n{(token != null ? $"x-token: {token}\r\n" : string.Empty)}Connection: close\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, timeout.Token);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        var text = Encoding.UTF8.GetString(received.ToArray());
        var status = int.Parse(text.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
        var body = text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        return (status, body);
    }

    [Theory]
    [InlineData("/admin/x")]
    [InlineData("/admin/../admin/x")]
    [InlineData("/public/../admin/x")]
    [InlineData("//admin/x")]
    [InlineData("/admin//x")]
    [InlineData("/%61dmin/x")]
    [InlineData("/admin/%2e%2e/admin/x")]
    [InlineData("/./admin/x")]
    [InlineData("/admin/x?y=1")]
    public async Task Deny_PathTrickOnAdmin_Answers403(string target)
    {
        var (status, body) = await SendAsync(target);

        Assert.Equal(403, status);
        Assert.Equal("RBAC: access denied", body);
    }

    [Fact]
    public async Task Deny_UppercaseAdmin_IsAnotherPathAndPasses()
    {
        // Paths are case-sensitive, as in Istio: /ADMIN is not /admin.
        var (status, body) = await SendAsync("/ADMIN/x");

        Assert.Equal(200, status);
        Assert.Contains("\"path\":\"/ADMIN/x\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deny_EscapedSlashKeptUnchanged_IsOneSegmentAndPasses()
    {
        // MERGE_SLASHES keeps %2F (Envoy's KEEP_UNCHANGED): /admin%2Fx is not under /admin/; DECODE_AND_MERGE_SLASHES decodes it (unit-tested).
        var (status, _) = await SendAsync("/admin%2Fx");

        Assert.Equal(200, status);
    }

    [Fact]
    public async Task Normalization_MergedPath_IsWhatTheAppReceives()
    {
        var (status, body) = await SendAsync("//public/./a/../b");

        Assert.Equal(200, status);
        Assert.Contains("\"path\":\"/public/b\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Allow_MatchingHeader_Passes()
    {
        var (status, _) = await SendAsync("/public");

        Assert.Equal(200, status);
    }

    [Fact]
    public async Task Allow_NoHeaderAndNoTrustedPeer_Answers403()
    {
        // The namespace rule needs a verified peer identity; a plaintext caller has none, so it fails closed.
        var (missing, _) = await SendAsync("/public", token: null);
        var (wrong, _) = await SendAsync("/public", token: "closed");

        Assert.Equal(403, missing);
        Assert.Equal(403, wrong);
        Assert.True(await MeshHarness.StatAtLeastAsync(mesh.Web, $"http.inbound_{mesh.Web.Ip}_9080.rbac.denied", 2) >= 2);
    }

    [Fact]
    public async Task NetworkDeny_FromLoopback_ClosesTheConnection()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(mesh.Db.Ip, 9000, timeout.Token);
        var before = mesh.Echo.Connections;
        int read;
        try
        {
            await socket.SendAsync("hello"u8.ToArray(), SocketFlags.None, timeout.Token);
            read = await socket.ReceiveAsync(new byte[16], SocketFlags.None, timeout.Token);
        }
        catch (SocketException)
        {
            read = 0;
        }

        Assert.Equal(0, read);
        Assert.Equal(before, mesh.Echo.Connections);
        Assert.True(await MeshHarness.StatAtLeastAsync(mesh.Db, "tcp.rbac.denied", 1) >= 1);
    }
}

/// <summary>With DECODE_AND_MERGE_SLASHES, <c>%2F</c> and <c>%5C</c> are decoded before matching, so they cannot hide a segment.</summary>
public sealed class DecodedSlashesAuthorizationTests(DecodingAuthorizationMesh mesh) : IClassFixture<DecodingAuthorizationMesh>
{
    [Theory]
    [InlineData("/admin%2Fx")]
    [InlineData("/admin%2fx")]
    [InlineData("/admin%5Cx")]
    [InlineData("/public%2F..%2Fadmin%2Fx")]
    public async Task Deny_EscapedSlashTrick_Answers403(string target)
    {
        var (status, body) = await AuthorizationPolicyTests.SendToAsync(mesh.Web, target);

        Assert.Equal(403, status);
        Assert.Equal("RBAC: access denied", body);
    }

    [Fact]
    public async Task Decoding_AppReceivesTheDecodedPath()
    {
        var (status, body) = await AuthorizationPolicyTests.SendToAsync(mesh.Web, "/public%2Fx");

        Assert.Equal(200, status);
        Assert.Contains("\"path\":\"/public/x\"", body, StringComparison.Ordinal);
    }
}
