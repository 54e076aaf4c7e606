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

/// <summary>A pool to a loopback port and one exchange sent through the HTTP/1.1 client with a DefaultHttpContext downstream.</summary>
internal static class Http1Fixtures
{
    public const string Ok = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\nKeep-Alive: timeout=5\r\nConnection: keep-alive\r\n\r\nhello";

    public static Http1Pool Pool(ClusterStats stats, int port, int maxRequests = 0, long maxConnections = int.MaxValue, TimeProvider? time = null) => new(
        async ct =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(IPAddress.Loopback, port, ct);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
        () => new ConnectionAccounting(stats, null),
        time ?? TimeProvider.System,
        maxConnections,
        new ConnectionSettings(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), null, maxRequests, UpstreamProtocol.Http1, null),
        TimeSpan.FromSeconds(30));

    public static async Task<(Http1Outcome Outcome, HttpContext Context)> SendAsync(Http1Pool pool, string method = "GET", Action<HttpRequest>? configure = null)
    {
        var (outcome, context, _) = await SendAsync(pool, method, configure, null, null);
        return (outcome, context);
    }

    public static async Task<(Http1Outcome Outcome, HttpContext Context, Exchange Exchange)> SendAsync(Http1Pool pool, string method, Action<HttpRequest>? configure, string? routeJson, UpstreamCluster? cluster)
    {
        var request = RoutingFixtures.Request("http://downstream.test/original?q=1", method);
        var context = request.HttpContext;
        context.Response.Body = new MemoryStream();
        configure?.Invoke(request);
        var table = RoutingFixtures.Routes(routeJson ?? """[ { "match": { "prefix": "/" }, "route": { "cluster": "c" } } ]""");
        var manager = new HttpManager(new HttpConnectionManager { StatPrefix = "test" }, table, null, "listener", inbound: false, new StatsStore());
        var exchange = new Exchange(context, manager, table.Match(request)!.Value, "upstream.test", "/rewritten?q=1");
        if (request.ContentLength > 0 || request.Body.CanSeek && request.Body.Length > 0)
        {
            exchange.Body = new ObservedRequestBody(request.Body);
            request.Body = exchange.Body;
        }

        exchange.BeginAttempt(1, mayRetry: cluster != null, cluster: cluster!);
        var outcome = await Http1Client.SendAsync(exchange, pool, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        return (outcome, context, exchange);
    }

    public static string Body(HttpContext context) => Encoding.Latin1.GetString(((MemoryStream)context.Response.Body).ToArray());

    public static string Dechunk(string chunked)
    {
        var result = new StringBuilder();
        var position = 0;
        while (true)
        {
            var lineEnd = chunked.IndexOf("\r\n", position, StringComparison.Ordinal);
            var size = Convert.ToInt32(chunked[position..lineEnd], 16);
            if (size == 0)
            {
                return result.ToString();
            }

            result.Append(chunked, lineEnd + 2, size);
            position = lineEnd + 2 + size + 2;
        }
    }
}
