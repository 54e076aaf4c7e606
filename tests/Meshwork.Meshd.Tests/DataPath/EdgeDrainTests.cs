using System.Net;
using System.Net.Sockets;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>Graceful drain: SIGTERM or /quitquitquit lets requests in flight finish, refuses new connections, and exits 0.</summary>
public sealed class EdgeDrainTests : IAsyncLifetime
{
    private MeshHarness _mesh = null!;
    private ProxyProcess _proxy = null!;
    private TestBackend _app = null!;

    public async Task InitializeAsync()
    {
        _mesh = await MeshHarness.StartAsync(("services.yaml", EdgeProtocolMesh.Service("web", 9080, "HTTP")));
        (_proxy, _app) = await _mesh.AddWorkloadAsync("web", "default", "app=web");
        await EdgeProtocolMesh.WaitBoundAsync(_mesh, _proxy, $"{_proxy.Ip}:9080");
    }

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    /// <summary>Starts a 2 s request to the app through its sidecar and returns once the app has it.</summary>
    private async Task<Task<HttpResponseMessage>> StartSlowRequestAsync(HttpClient http)
    {
        var before = _app.Requests;
        var slow = http.GetAsync($"http://{_proxy.Ip}:9080/slow?delay=2000");
        await MeshHarness.Eventually(() => Task.FromResult(_app.Requests > before || slow.IsCompleted), "the slow request at the app", () => _proxy.Output);
        Assert.False(slow.IsCompleted, $"the slow request ended early: {(slow.IsCompletedSuccessfully ? slow.Result.StatusCode : slow.Exception)}");
        return slow;
    }

    private async Task WaitRefusedAsync()
    {
        await MeshHarness.Eventually(
            async () =>
            {
                using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync(IPAddress.Parse(_proxy.Ip), 9080);
                    return false;
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
                {
                    return true;
                }
            },
            "new connections refused while draining",
            () => _proxy.Output,
            TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Sigterm_RequestInFlight_CompletesThenNewConnectionsRefusedAndExitZero()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        var slow = await StartSlowRequestAsync(http);

        // The drain period is the default 5 s; past it (and a margin) the process would be killed, and exit non-zero.
        var exit = _proxy.TerminateAsync(TimeSpan.FromSeconds(10));
        await WaitRefusedAsync();

        using var response = await slow;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("web", MeshHarness.BackendOf(await response.Content.ReadAsStringAsync()));
        Assert.Equal(0, await exit);
        Assert.Contains("draining", _proxy.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QuitQuitQuit_RequestInFlight_CompletesThenNewConnectionsRefusedAndExitZero()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        var slow = await StartSlowRequestAsync(http);

        using (var quit = await http.PostAsync(_proxy.Admin("/quitquitquit"), null))
        {
            Assert.Equal(HttpStatusCode.OK, quit.StatusCode);
        }

        await WaitRefusedAsync();
        using var response = await slow;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await MeshHarness.Eventually(() => Task.FromResult(_proxy.HasExited), "mesh-proxy exited", () => _proxy.Output, TimeSpan.FromSeconds(10));
        Assert.Equal(0, await _proxy.TerminateAsync(TimeSpan.FromSeconds(1)));
    }
}
