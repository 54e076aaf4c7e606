using System.Net;
using System.Net.Sockets;
using System.Text;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Meshwork.Proxy.Http;
using Meshwork.Proxy.Stats;
using Meshwork.Proxy.Tests.Routing;
using Meshwork.Proxy.Tests.Upstream;
using Meshwork.Proxy.Upstream;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Proxy.Tests.Http;

/// <summary>
/// The HTTP/1.1 client's pool and its place in the retry loop: the cluster's connection limits,
/// idle timeout, a stale reused connection, the switch, held-back retriable answers, and the
/// mapping of outcomes to the failure kinds (and so the 503 flags) of the forwarder path.
/// </summary>
public sealed class Http1PoolTests
{
    private readonly ClusterStats _stats = new();

    [Fact]
    public async Task ReusedConnectionClosedByTheServer_IsRetriedOnANewConnection()
    {
        await using var upstream = new ScriptedUpstream("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", close: true);
        using var pool = Http1Fixtures.Pool(_stats, upstream.Port);

        var (first, _) = await Http1Fixtures.SendAsync(pool);
        var (second, context) = await Http1Fixtures.SendAsync(pool);

        Assert.Equal(Http1Outcome.Done, first);
        Assert.Equal(Http1Outcome.Done, second);
        Assert.Equal("ok", Http1Fixtures.Body(context));
        Assert.Equal(2, upstream.Connections);
    }

    [Fact]
    public async Task ConnectRefused_IsAConnectFailure()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var pool = Http1Fixtures.Pool(_stats, port);

        var (outcome, _) = await Http1Fixtures.SendAsync(pool);

        Assert.Equal(Http1Outcome.ConnectFailure, outcome);
        Assert.Equal(0, pool.OpenConnections);
    }

    [Fact]
    public async Task MaxRequestsPerConnection_LastRequestSaysCloseAndTheNextConnects()
    {
        await using var upstream = new ScriptedUpstream(Http1Fixtures.Ok);
        using var pool = Http1Fixtures.Pool(_stats, upstream.Port, maxRequests: 2);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(Http1Outcome.Done, (await Http1Fixtures.SendAsync(pool)).Outcome);
        }

        var requests = upstream.Requests.ToArray();
        Assert.DoesNotContain("Connection: close", requests[0], StringComparison.Ordinal);
        Assert.Contains("Connection: close\r\n", requests[1], StringComparison.Ordinal);
        Assert.Equal(2, upstream.Connections);
        Assert.Equal(2, _stats.UpstreamCxTotal);
    }

    [Fact]
    public async Task MaxConnections_ConcurrentRequestsWaitForTheOneConnection()
    {
        await using var upstream = new ScriptedUpstream(Http1Fixtures.Ok);
        using var pool = Http1Fixtures.Pool(_stats, upstream.Port, maxConnections: 1);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Http1Fixtures.SendAsync(pool)));

        Assert.All(outcomes, o => Assert.Equal(Http1Outcome.Done, o.Outcome));
        Assert.Equal(1, upstream.Connections);
    }

    [Fact]
    public async Task RetriableStatus_IsHeldBackForTheRetryAndTheConnectionClosed()
    {
        await using var upstream = new ScriptedUpstream("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nX-Upstream: 1\r\n\r\nbusy");
        using var pool = Http1Fixtures.Pool(_stats, upstream.Port);
        var (set, _) = UpstreamTestClusters.NewSet();
        var cluster = set.ApplyOne(UpstreamTestClusters.Static("c", ("127.0.0.1", upstream.Port)));

        var (outcome, context, exchange) = await Http1Fixtures.SendAsync(pool, "GET", null, """[ { "match": { "prefix": "/" }, "route": { "cluster": "c", "retryPolicy": { "retryOn": "5xx", "numRetries": 2 } } } ]""", cluster);

        Assert.Equal(Http1Outcome.Done, outcome);
        Assert.True(exchange.RetryRequested);
        Assert.Equal(503, exchange.UpstreamStatus);
        Assert.False(context.Response.Headers.ContainsKey("X-Upstream"));
        Assert.Equal(string.Empty, Http1Fixtures.Body(context));
        Assert.Equal(0, pool.OpenConnections);
        exchange.EndRetry();
        set.Dispose();
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void Switch_DecidesWhetherPlaintextEndpointsGetTheirOwnPool(bool enabled, bool expectPool)
    {
        var (set, _) = UpstreamTestClusters.NewSet(options: new UpstreamOptions { Http1FastPath = enabled });
        var cluster = set.ApplyOne(UpstreamTestClusters.Static("c", ("127.0.0.1", 9)));

        Assert.Equal(expectPool, cluster.Endpoints[0].Http1Pool != null);
        set.Dispose();
    }

    [Fact]
    public async Task IdleTimeout_ClosesThePooledConnectionAndTheNextRequestConnects()
    {
        await using var upstream = new ScriptedUpstream(Http1Fixtures.Ok);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        using var pool = Http1Fixtures.Pool(_stats, upstream.Port, time: time);

        await Http1Fixtures.SendAsync(pool);
        Assert.Equal(1, pool.IdleConnections);
        time.Advance(TimeSpan.FromSeconds(31));

        Assert.Equal(0, pool.IdleConnections);
        Assert.Equal(0, _stats.UpstreamCxActive);
        Assert.Equal(Http1Outcome.Done, (await Http1Fixtures.SendAsync(pool)).Outcome);
        Assert.Equal(2, upstream.Connections);
    }

    [Fact]
    public async Task IdleConnections_OneServedByThisThreadGoesFirst_ThenTheMostRecent()
    {
        await using var upstream = new ScriptedUpstream(Http1Fixtures.Ok);
        using var pool = Http1Fixtures.Pool(_stats, upstream.Port);
        var (mine, _) = await pool.RentAsync(fresh: false, CancellationToken.None);
        var (other, _) = await pool.RentAsync(fresh: false, CancellationToken.None);
        var (newest, _) = await pool.RentAsync(fresh: false, CancellationToken.None);
        pool.Return(mine, reusable: true);
        pool.Return(other, reusable: true);
        pool.Return(newest, reusable: true);

        // Set and rented without an await in between: the same thread asks.
        mine.EventThread = Environment.CurrentManagedThreadId;
        other.EventThread = Environment.CurrentManagedThreadId + 1;
        newest.EventThread = Environment.CurrentManagedThreadId + 1;
        var first = pool.RentAsync(fresh: false, CancellationToken.None);
        Assert.True(first.IsCompletedSuccessfully);
        Assert.Same(mine, first.Result.Connection);
        Assert.True(first.Result.Reused);

        var second = await pool.RentAsync(fresh: false, CancellationToken.None);
        Assert.Same(newest, second.Connection);
        Assert.Equal(3, upstream.Connections);
    }

    [Theory]
    [InlineData("Done", "None")]
    [InlineData("ConnectFailure", "ConnectFailure")]
    [InlineData("ResetBeforeResponse", "Reset")]
    [InlineData("ResetAfterResponse", "ResponseStarted")]
    [InlineData("Downstream", "Downstream")]
    public void Outcomes_MapToTheFailureKindsTheForwarderPathUses(string outcome, string expected) =>
        Assert.Equal(Enum.Parse<UpstreamCaller.Failure>(expected), UpstreamCaller.Classify(Enum.Parse<Http1Outcome>(outcome), new DefaultHttpContext(), null, null));

    [Fact]
    public void Outcome_AfterThePerTryTimeoutFired_IsAPerTryTimeout()
    {
        using var perTry = new CancellationTokenSource();
        perTry.Cancel();

        Assert.Equal(UpstreamCaller.Failure.PerTryTimeout, UpstreamCaller.Classify(Http1Outcome.ResetBeforeResponse, new DefaultHttpContext(), null, perTry));
    }
}
