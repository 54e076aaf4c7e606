using System.Net;
using Meshwork.Proxy.Http;
using Meshwork.Proxy.Listeners;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Proxy.Tests.Listeners;

public sealed class ListenerServerTests
{
    private sealed record Marker(string Value);

    private static async Task<ListenerServer> StartEchoAsync()
    {
        var services = new ServiceCollection().BuildServiceProvider();
        var app = new ProxyHttpApplication(async context =>
        {
            var marker = context.Features.Get<Marker>()?.Value ?? "none";
            await context.Response.WriteAsync($"{context.Request.Protocol} {context.Request.Scheme} {context.Request.Host} {context.Request.Path}{context.Request.QueryString} {marker}");
        });
        return await ListenerServer.StartAsync(
            new IPEndPoint(IPAddress.Loopback, 0),
            async (connection, next) =>
            {
                connection.Features.Set(new Marker("seen"));
                if (await CleartextHttp2.StartsWithPrefaceAsync(connection))
                {
                    CleartextHttp2.SelectHttp2(connection);
                }

                await next(connection);
            },
            app,
            services,
            NullLoggerFactory.Instance,
            CancellationToken.None);
    }

    [Fact]
    public async Task Serve_ProxyFormHttp11_SeesTargetAuthorityAndConnectionFeatures()
    {
        await using var server = await StartEchoAsync();
        var port = server.BoundPort;
        using var client = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy($"http://127.0.0.1:{port}"), UseProxy = true });
        var body = await client.GetStringAsync("http://reviews.default:9080/reviews/0?x=1");
        Assert.Equal("HTTP/1.1 http reviews.default:9080 /reviews/0?x=1 seen", body);
    }

    [Fact]
    public async Task Serve_PriorKnowledgeH2c_SpeaksHttp2OnTheSamePort()
    {
        await using var server = await StartEchoAsync();
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{server.BoundPort}/grpc.Echo/Say") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await client.SendAsync(request);
        Assert.Equal($"HTTP/2 http 127.0.0.1:{server.BoundPort} /grpc.Echo/Say seen", await response.Content.ReadAsStringAsync());
    }
}
