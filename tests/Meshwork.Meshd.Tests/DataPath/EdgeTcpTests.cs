using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>
/// Plain TCP through a sidecar's tcp_proxy (a ServiceEntry port with protocol TCP), and listeners
/// that come and go at runtime as LDS changes.
/// </summary>
public sealed class EdgeTcpTests : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];
    private MeshHarness _mesh = null!;
    private TcpEchoServer _echo = null!;
    private ProxyProcess _proxy = null!;

    private static string TcpService(string name, int port) => $"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {"{"}name: {name}, namespace: default{"}"}
        spec:
          hosts: [{name}.default.svc.cluster.local]
          location: MESH_INTERNAL
          ports: [{"{"}number: {port}, name: tcp, protocol: TCP{"}"}]
          resolution: STATIC
          workloadSelector: {"{"}labels: {"{"}app: echo{"}"}{"}"}

        """;

    public async Task InitializeAsync()
    {
        _mesh = await MeshHarness.StartAsync(("echo.yaml", TcpService("echo", 9000)));
        _echo = TcpEchoServer.Start();
        _owned.Add(_echo);
        // The app serves 9000 now and 9001 once a service names that port.
        _proxy = await EdgeProtocolMesh.StartSidecarAsync(_mesh, _owned, "echo", "app=echo", $"9000=127.0.0.1:{_echo.Port}", $"9001=127.0.0.1:{_echo.Port}");
    }

    public async Task DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        await _mesh.DisposeAsync();
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        var received = new MemoryStream();
        var buffer = new byte[1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        return Encoding.UTF8.GetString(received.ToArray());
    }

    private static async Task<string> ReadExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var total = 0;
        while (total < count)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(total), SocketFlags.None, timeout.Token);
            Assert.True(read > 0, $"connection closed after {total} of {count} bytes");
            total += read;
        }

        return Encoding.UTF8.GetString(buffer);
    }

    private async Task<string> EchoAsync(int port)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Parse(_proxy.Ip), port);
        await socket.SendAsync("ping"u8.ToArray());
        var first = await ReadExactlyAsync(socket, 4);
        socket.Shutdown(SocketShutdown.Send);
        return first + await ReadToEndAsync(socket);
    }

    private async Task<string> ListenersAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        return await http.GetStringAsync(_proxy.Admin("/listeners"));
    }

    [Fact]
    public async Task TcpProxy_InboundTcpPort_EchoesBytesAndPassesTheHalfClose()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Parse(_proxy.Ip), 9000);

        await socket.SendAsync("hello "u8.ToArray());
        var first = await ReadExactlyAsync(socket, 6);
        await socket.SendAsync("world"u8.ToArray());
        var second = await ReadExactlyAsync(socket, 5);
        // Our side is done writing; the app sees EOF, still answers, then closes its side.
        socket.Shutdown(SocketShutdown.Send);
        var rest = await ReadToEndAsync(socket);

        Assert.Equal("hello world[eof]", first + second + rest);
        Assert.True(await MeshHarness.StatAtLeastAsync(_proxy, "tcp.inbound|9000||.downstream_cx_total", 1) >= 1, await MeshHarness.StatsAsync(_proxy));
    }

    [Fact]
    public async Task Lds_ServiceWithNewTcpPortAddedThenRemoved_BindsThenUnbindsTheListener()
    {
        var address = $"{_proxy.Ip}:9001";
        Assert.DoesNotContain(address, await ListenersAsync(), StringComparison.Ordinal);
        await Assert.ThrowsAsync<SocketException>(() => EchoAsync(9001));

        await _mesh.ApplyAsync("echo2.yaml", TcpService("echo2", 9001));
        await EdgeProtocolMesh.WaitBoundAsync(_mesh, _proxy, address);
        Assert.Equal("ping[eof]", await EchoAsync(9001));

        _mesh.Remove("echo2.yaml");
        await MeshHarness.Eventually(async () => !(await ListenersAsync()).Contains(address, StringComparison.Ordinal), $"{address} gone from /listeners", () => _proxy.Output);
        await MeshHarness.Eventually(
            async () =>
            {
                try
                {
                    await EchoAsync(9001);
                    return false;
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
                {
                    return true;
                }
            },
            $"{address} refusing connections",
            () => _proxy.Output);
        Assert.Equal("ping[eof]", await EchoAsync(9000));
    }
}
