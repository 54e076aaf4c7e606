using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace Meshwork.Proxy.Listeners;

/// <summary>
/// One bound address, served by its own Kestrel server. Kestrel cannot add endpoints to a running
/// server, and Envoy listeners come and go at runtime, so each listener gets a server of its own;
/// a config change on the same address swaps what the connections see and never rebinds.
/// The HTTP application is called directly (no ASP.NET middleware pipeline on the request path).
/// </summary>
internal sealed class ListenerServer : IAsyncDisposable
{
    private readonly KestrelServer _server;

    private ListenerServer(IPEndPoint endpoint, KestrelServer server)
    {
        Endpoint = endpoint;
        _server = server;
    }

    public IPEndPoint Endpoint { get; }

    /// <summary>The port actually bound (differs from <see cref="Endpoint"/> when that asked for port 0).</summary>
    public int BoundPort => _server.Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses
        .Select(a => new Uri(a).Port).FirstOrDefault() ?? Endpoint.Port;

    /// <summary>Binds and starts; throws <see cref="IOException"/> when the address cannot be bound.</summary>
    public static async Task<ListenerServer> StartAsync(
        IPEndPoint endpoint,
        Func<ConnectionContext, ConnectionDelegate, Task> onConnection,
        IHttpApplication<HttpContext> application,
        IServiceProvider services,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        var options = new KestrelServerOptions
        {
            ApplicationServices = services,
            AddServerHeader = false,
            // h2c requests carry :scheme http while the connection may be marked as TLS for protocol selection.
            AllowAlternateSchemes = true,
        };
        // A proxy streams what it is given: no body size cap and no minimum data rates of its own.
        options.Limits.MaxRequestBodySize = null;
        options.Limits.MinRequestBodyDataRate = null;
        options.Limits.MinResponseDataRate = null;
        options.Limits.MaxRequestHeadersTotalSize = 96 * 1024;
        options.Limits.MaxRequestLineSize = 64 * 1024;
        options.Limits.KeepAliveTimeout = TimeSpan.FromHours(1);
        options.Limits.Http2.MaxStreamsPerConnection = 2147483647 / 2;
        options.Listen(endpoint, listen =>
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            listen.Use(next => connection => onConnection(connection, next));
        });
        var transport = new SocketTransportFactory(Options.Create(new SocketTransportOptions { NoDelay = true, UnsafePreferInlineScheduling = true }), loggerFactory);
        var server = new KestrelServer(Options.Create(options), transport, loggerFactory);
        try
        {
            await server.StartAsync(application, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            server.Dispose();
            throw;
        }

        return new ListenerServer(endpoint, server);
    }

    /// <summary>Stops accepting, lets requests in flight finish until <paramref name="drain"/> ends, then closes what is left.</summary>
    public async Task StopAsync(CancellationToken drain)
    {
        try
        {
            await _server.StopAsync(drain).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);
        _server.Dispose();
    }
}
