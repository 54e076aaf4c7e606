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
/// The proxy's own HTTP/1.1 client against a scripted upstream on loopback: response framing
/// (length, chunks, close-delimited, no-body answers), what reaches the downstream response,
/// the request head and body it writes, and that a connection is reused only after a clean exchange.
/// </summary>
public sealed class Http1ClientTests
{
    private readonly ClusterStats _stats = new();

    [Fact]
    public async Task ContentLength_TwoRequests_CopyStatusFieldsAndBodyOnOneConnection()
    {
        await using var upstream = new ScriptedUpstream(Http1Fixtures.Ok);
        using var pool = Http1Fixtures.Pool(_stats, upstream.Port);

        for (var i = 0; i < 2; i++)
        {
            var (outcome, context) = await Http1Fixtures.SendAsync(pool);

            Assert.Equal(Http1Outcome.Done, outcome);
            Assert.Equal(200, context.Response.StatusCode);
            Assert.Equal("text/plain", context.Response.Headers.ContentType.ToString());
            Assert.False(context.Response.Headers.ContainsKey("Connection"));
            Assert.False(context.Response.Headers.ContainsKey("Keep-Alive"));
            Assert.Equal("hello", Http1Fixtures.Body(context));
        }

        Assert.Equal(1, upstream.Connections);
        Assert.Equal(1, pool.IdleConnections);
    }

    [Fact]
    public async Task Chunked_WithExtensionsAndTrailers_DecodesTheBodyAndReuses()
    {
        await using var upstream = new ScriptedUpstream("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nx-trailer: t\r\n\r\n");
        using var pool = Http1Fixtures.Pool(_stats, upstream.Port);

        var (first, context) = await Http1Fixtures.SendAsync(pool);
        var (second, _) = await Http1Fixtures.SendAsync(pool);

        Assert.Equal(Http1Outcome.Done, first);
        Assert.Equal(Http1Outcome.Done, second);
        Assert.Equal("abc0123456789", Http1Fixtures.Body(context));
        Assert.False(context.Response.Headers.ContainsKey("Transfer-Encoding"));
        Assert.Equal(1, upstream.Connections);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")]
    public async Task ConnectionClose_OrHttp10_IsNotReused(string answer)
    {
        await using var upstream = new ScriptedUpstream(answer, close: true);
        using var pool = Http1Fixtures.Pool(_stats, upstream.Port);

        var (first, context) = await Http1Fixtures.SendAsync(pool);
        var (second, _) = await Http1Fixtures.SendAsync(pool);

        Assert.Equal(Http1Outcome.Done, first);
        Assert.Equal(Http1Outcome.Done, second);
        Assert.Equal("ok", Http1Fixtures.Body(context));
        Assert.Equal(2, upstream.Connections);
        Assert.Equal(0, pool.OpenConnections);
    }

    [Fact]
    public async Task NoLength_ReadsUntilTheServerCloses()
    {
        await using var upstream = new ScriptedUpstream("HTTP/1.0 200 OK\r\n\r\nuntil the end", close: true);
        using var pool = Http1Fixtures.Pool(_stats, upstream.Port);

        var (outcome, context) = await Http1Fixtures.SendAsync(pool);

        Assert.Equal(Http1Outcome.Done, outcome);
        Assert.Equal("until the end", Http1Fixtures.Body(context));
        Assert.Equal(0, pool.OpenConnections);
    }

    [Theory]
    [InlineData("HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")]
    [InlineData("GET", "HTTP/1.1 204 No Content\r\n\r\n")]
    [InlineData("GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n")]
    [InlineData("GET", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")]
    public async Task NoBodyAnswers_EndAtTheHeadAndReuse(string method, string answer)
    {
        await using var upstream = new ScriptedUpstream(answer);
        using var pool = Http1Fixtures.Pool(_stats, upstream.Port);

        var (first, context) = await Http1Fixtures.SendAsync(pool, method);
        var (second, _) = await Http1Fixtures.SendAsync(pool, method);

        Assert.Equal(Http1Outcome.Done, first);
        Assert.Equal(Http1Outcome.Done, second);
        Assert.NotEqual(100, context.Response.StatusCode);
        Assert.Equal(string.Empty, Http1Fixtures.Body(context));
        Assert.Equal(1, upstream.Connections);
    }

    [Theory]
    [InlineData("HTTP/2 200 OK\r\n\r\n")]
    [InlineData("garbage\r\n\r\n")]
    [InlineData("HTTP/1.1 2x0 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nBad Name: 1\r\n\r\n")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\n\r\n")]
    public async Task MalformedHead_FailsBeforeTheResponseAndClosesTheConnection(string answer)
    {
        await using var upstream = new ScriptedUpstream(answer);
        using var pool = Http1Fixtures.Pool(_stats, upstream.Port);

        var (outcome, context) = await Http1Fixtures.SendAsync(pool);

        Assert.Equal(Http1Outcome.ResetBeforeResponse, outcome);
        Assert.Equal(0, pool.OpenConnections);
        Assert.Empty(context.Response.Headers);
    }

    [Fact]
    public async Task OversizedHead_FailsBeforeTheResponse()
    {
        await using var upstream = new ScriptedUpstream("HTTP/1.1 200 OK\r\nX-Big: " + new string('a', Http1Client.MaxHeadBytes) + "\r\n\r\n");
        using var pool = Http1Fixtures.Pool(_stats, upstream.Port);

        var (outcome, _) = await Http1Fixtures.SendAsync(pool);

        Assert.Equal(Http1Outcome.ResetBeforeResponse, outcome);
        Assert.Equal(0, pool.OpenConnections);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n")]
    public async Task BrokenBody_FailsAfterTheResponseStarted(string answer)
    {
        await using var upstream = new ScriptedUpstream(answer, close: true);
        using var pool = Http1Fixtures.Pool(_stats, upstream.Port);

        var (outcome, context) = await Http1Fixtures.SendAsync(pool);

        Assert.Equal(Http1Outcome.ResetAfterResponse, outcome);
        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal(0, pool.OpenConnections);
    }

    [Fact]
    public async Task BytesAfterTheResponse_AreNotParsedAsTheNextAnswer()
    {
        await using var upstream = new ScriptedUpstream(n => (n == 0 ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 500 Oops\r\n\r\n" : "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", false));
        using var pool = Http1Fixtures.Pool(_stats, upstream.Port);

        var (first, _) = await Http1Fixtures.SendAsync(pool);
        var (second, context) = await Http1Fixtures.SendAsync(pool);

        Assert.Equal(Http1Outcome.Done, first);
        Assert.Equal(Http1Outcome.Done, second);
        Assert.Equal(201, context.Response.StatusCode);
        Assert.Equal(2, upstream.Connections);
    }

    [Fact]
    public async Task RequestHead_CarriesRewrittenTargetAndEndToEndFieldsOnly()
    {
        await using var upstream = new ScriptedUpstream(Http1Fixtures.Ok);
        using var pool = Http1Fixtures.Pool(_stats, upstream.Port);

        await Http1Fixtures.SendAsync(pool, configure: request =>
        {
            request.Headers["x-custom"] = new Microsoft.Extensions.Primitives.StringValues(["a", "b"]);
            request.Headers.Connection = "keep-alive, x-custom";
            request.Headers["Keep-Alive"] = "timeout=5";
            request.Headers["TE"] = "gzip";
            request.Headers.Cookie = new Microsoft.Extensions.Primitives.StringValues(["c=1", "d=2"]);
        });

        var sent = Assert.Single(upstream.Requests);
        Assert.StartsWith("GET /rewritten?q=1 HTTP/1.1\r\nHost: upstream.test\r\n", sent, StringComparison.Ordinal);
        Assert.Contains("x-custom: a, b\r\n", sent, StringComparison.Ordinal);
        Assert.Contains("Cookie: c=1; d=2\r\n", sent, StringComparison.Ordinal);
        Assert.DoesNotContain("Keep-Alive", sent, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Connection:", sent, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("TE:", sent, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", sent, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RequestBody_GoesWithItsLengthOrRechunked(bool withLength)
    {
        await using var upstream = new ScriptedUpstream(Http1Fixtures.Ok);
        using var pool = Http1Fixtures.Pool(_stats, upstream.Port);
        var body = new string('x', 40_000);

        var (outcome, _) = await Http1Fixtures.SendAsync(pool, "POST", request =>
        {
            request.Body = new MemoryStream(Encoding.ASCII.GetBytes(body));
            request.ContentLength = withLength ? body.Length : null;
        });

        Assert.Equal(Http1Outcome.Done, outcome);
        var sent = Assert.Single(upstream.Requests);
        var head = sent[..(sent.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)];
        var rest = sent[head.Length..];
        if (withLength)
        {
            Assert.Contains("Content-Length: 40000\r\n", head, StringComparison.Ordinal);
            Assert.Equal(body, rest);
        }
        else
        {
            Assert.Contains("Transfer-Encoding: chunked\r\n", head, StringComparison.Ordinal);
            Assert.Equal(body, Http1Fixtures.Dechunk(rest));
        }

        Assert.Equal(1, pool.IdleConnections);
    }

    [Fact]
    public async Task ClientBodyFailing_EndsTheTryAsADownstreamFailure()
    {
        await using var upstream = new ScriptedUpstream(Http1Fixtures.Ok);
        using var pool = Http1Fixtures.Pool(_stats, upstream.Port);

        var (outcome, _) = await Http1Fixtures.SendAsync(pool, "POST", request =>
        {
            request.Body = new FailingStream();
            request.ContentLength = 10;
        });

        Assert.Equal(Http1Outcome.Downstream, outcome);
        Assert.Equal(0, pool.OpenConnections);
    }

    /// <summary>A request body whose client went away.</summary>
    private sealed class FailingStream : MemoryStream
    {
        public FailingStream()
            : base([1])
        {
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromException<int>(new IOException("client reset"));
    }
}
