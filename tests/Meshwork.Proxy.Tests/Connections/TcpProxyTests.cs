using System.Net;
using System.Net.Sockets;
using System.Text;
using Meshwork.Proxy.Connections;
using Microsoft.Extensions.Time.Testing;

namespace Meshwork.Proxy.Tests.Connections;

/// <summary>The TCP proxy between real loopback sockets: client ⇄ proxy (downstream) and proxy ⇄ backend (upstream).</summary>
public sealed class TcpProxyTests : IAsyncDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _sockets = [];

    public TcpProxyTests() => _listener.Start();

    public async ValueTask DisposeAsync()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _listener.Stop();
        await Task.CompletedTask;
    }

    [Fact]
    public async Task RunAsync_BothWaysWithHalfClose_DeliversEverythingAndCounts()
    {
        var (client, downstream) = await PairAsync();
        var (upstream, backend) = await PairAsync();
        var stats = new TcpProxyStats();

        var run = TcpProxy.RunAsync(downstream, _ => ValueTask.FromResult<Stream>(upstream), Settings(), stats, TimeProvider.System, CancellationToken.None);

        await client.WriteAsync("hello"u8.ToArray());
        Assert.Equal("hello", await ReadExactlyAsync(backend, 5));
        await backend.WriteAsync("world"u8.ToArray());
        Assert.Equal("world", await ReadExactlyAsync(client, 5));

        // The client is done sending: the backend must see end-of-stream and still be able to answer.
        client.Socket.Shutdown(SocketShutdown.Send);
        Assert.Equal(string.Empty, await ReadToEndAsync(backend));
        await backend.WriteAsync("bye"u8.ToArray());
        backend.Socket.Shutdown(SocketShutdown.Send);
        Assert.Equal("bye", await ReadToEndAsync(client));

        var result = await run.WaitAsync(Guard);
        Assert.Equal(TcpProxyOutcome.Completed, result.Outcome);
        Assert.Equal(5, result.BytesFromDownstream);
        Assert.Equal(8, result.BytesToDownstream);
        Assert.Equal(1, stats.DownstreamCxTotal);
        Assert.Equal(0, stats.DownstreamCxActive);
        Assert.Equal(5, stats.DownstreamCxRxBytesTotal);
        Assert.Equal(8, stats.DownstreamCxTxBytesTotal);
    }

    [Fact]
    public async Task RunAsync_NoTrafficForIdleTimeout_ClosesBothSidesOnTheFakeClock()
    {
        var clock = new FakeTimeProvider();
        var (client, downstream) = await PairAsync();
        var (upstream, backend) = await PairAsync();
        var stats = new TcpProxyStats();
        var run = TcpProxy.RunAsync(downstream, _ => ValueTask.FromResult<Stream>(upstream), Settings() with { IdleTimeout = TimeSpan.FromMinutes(10) }, stats, clock, CancellationToken.None);

        await RoundTripAsync(client, backend);
        clock.Advance(TimeSpan.FromMinutes(6));
        await RoundTripAsync(client, backend);

        // Ten minutes after the start, but only four since the last bytes: still open.
        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.False(run.IsCompleted);
        await RoundTripAsync(client, backend);

        clock.Advance(TimeSpan.FromMinutes(10));
        var result = await run.WaitAsync(Guard);

        Assert.Equal(TcpProxyOutcome.IdleTimeout, result.Outcome);
        Assert.Equal(1, stats.IdleTimeout);
        Assert.Equal(string.Empty, await ReadToEndAsync(client));
        Assert.Equal(string.Empty, await ReadToEndAsync(backend));
    }

    [Fact]
    public async Task RunAsync_UpstreamConnectFails_TriesMaxAttemptsAndClosesDownstream()
    {
        var (client, downstream) = await PairAsync();
        var attempts = 0;

        var result = await TcpProxy.RunAsync(
            downstream,
            _ =>
            {
                attempts++;
                throw new SocketException((int)SocketError.ConnectionRefused);
            },
            Settings() with { MaxConnectAttempts = 3 },
            new TcpProxyStats(),
            TimeProvider.System,
            CancellationToken.None).WaitAsync(Guard);

        Assert.Equal(TcpProxyOutcome.UpstreamConnectFailed, result.Outcome);
        Assert.Equal(3, result.ConnectFailures);
        Assert.Equal(3, attempts);
        Assert.Equal(string.Empty, await ReadToEndAsync(client));
    }

    [Fact]
    public async Task RunAsync_UpstreamResets_EndsWithoutThrowingAndClosesClient()
    {
        var (client, downstream) = await PairAsync();
        var (upstream, backend) = await PairAsync();
        var stats = new TcpProxyStats();
        var run = TcpProxy.RunAsync(downstream, _ => ValueTask.FromResult<Stream>(upstream), Settings(), stats, TimeProvider.System, CancellationToken.None);
        await RoundTripAsync(client, backend);

        backend.Socket.LingerState = new LingerOption(true, 0);
        backend.Socket.Close();
        var result = await run.WaitAsync(Guard);

        Assert.Equal(TcpProxyOutcome.UpstreamReset, result.Outcome);
        Assert.Equal(string.Empty, await ReadToEndAsync(client));
        Assert.Equal(0, stats.DownstreamCxActive);
    }

    [Fact]
    public async Task RunAsync_CallerCancels_EndsAsCancelled()
    {
        var (_, downstream) = await PairAsync();
        var (upstream, _) = await PairAsync();
        using var stop = new CancellationTokenSource();
        var run = TcpProxy.RunAsync(downstream, _ => ValueTask.FromResult<Stream>(upstream), Settings(), new TcpProxyStats(), TimeProvider.System, stop.Token);

        stop.Cancel();

        Assert.Equal(TcpProxyOutcome.Cancelled, (await run.WaitAsync(Guard)).Outcome);
    }

    [Fact]
    public void PickCluster_Weighted_FollowsCumulativeWeights()
    {
        var settings = TcpProxySettings.Compile(
            new Envoy.Extensions.Filters.Network.TcpProxy.V3.TcpProxy
            {
                StatPrefix = "p",
                WeightedClusters = new() { Clusters = { Weight("a", 1), Weight("zero", 0), Weight("b", 3) } },
            },
            "listener \"l\": c");

        Assert.Equal("a", settings.PickCluster(0.0));
        Assert.Equal("a", settings.PickCluster(0.249));
        Assert.Equal("b", settings.PickCluster(0.25));
        Assert.Equal("b", settings.PickCluster(0.999));
    }

    private static Envoy.Extensions.Filters.Network.TcpProxy.V3.TcpProxy.Types.WeightedCluster.Types.ClusterWeight Weight(string name, uint weight) => new() { Name = name, Weight = weight };

    private static TcpProxySettings Settings() => new() { StatPrefix = "test", Cluster = "backend" };

    private async Task<(NetworkStream Client, NetworkStream Server)> PairAsync()
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = _listener.AcceptSocketAsync();
        await client.ConnectAsync((IPEndPoint)_listener.LocalEndpoint);
        var server = await accept.WaitAsync(Guard);
        _sockets.Add(client);
        _sockets.Add(server);
        return (new NetworkStream(client, ownsSocket: true), new NetworkStream(server, ownsSocket: true));
    }

    private static async Task RoundTripAsync(NetworkStream client, NetworkStream backend)
    {
        await client.WriteAsync("ping"u8.ToArray());
        Assert.Equal("ping", await ReadExactlyAsync(backend, 4));
        await backend.WriteAsync("pong"u8.ToArray());
        Assert.Equal("pong", await ReadExactlyAsync(client, 4));
    }

    private static async Task<string> ReadExactlyAsync(Stream stream, int count)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(Guard);
        return Encoding.ASCII.GetString(buffer);
    }

    /// <summary>Everything until the peer closes; a reset counts as closed.</summary>
    private static async Task<string> ReadToEndAsync(Stream stream)
    {
        var output = new MemoryStream();
        var buffer = new byte[1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer).AsTask().WaitAsync(Guard)) > 0)
            {
                output.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
        }

        return Encoding.ASCII.GetString(output.ToArray());
    }
}
