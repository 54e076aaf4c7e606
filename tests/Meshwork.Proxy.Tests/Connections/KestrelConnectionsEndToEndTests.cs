using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Proxy.Connections;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using EnvoyTcpProxy = Envoy.Extensions.Filters.Network.TcpProxy.V3.TcpProxy;
using TlsCertificate = Envoy.Extensions.TransportSockets.Tls.V3.TlsCertificate;

namespace Meshwork.Proxy.Tests.Connections;

/// <summary>
/// A real Kestrel listener whose connection middleware does what the pipeline will: inspect the
/// ClientHello, pick the chain by SNI, then terminate TLS and serve HTTP/1.1 or HTTP/2 (by ALPN),
/// or pass the TLS bytes through tcp_proxy to a backend that holds its own certificate.
/// </summary>
public sealed class KestrelConnectionsEndToEndTests : IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _directory = new();
    private readonly X509Certificate2 _proxyCertificate = TestCertificates.CreateLeaf(["term.test"]);
    private readonly X509Certificate2 _backendCertificate = TestCertificates.CreateLeaf(["pass.test"]);
    private readonly TcpListener _backend = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly TcpProxyStats _tcpStats = new();
    private KestrelServer? _server;
    private Task? _backendLoop;
    private int _port;

    public async Task InitializeAsync()
    {
        var (certificate, key) = TestCertificates.WritePem(_proxyCertificate, _directory.Path, "term");
        var plan = ListenerPlan.Compile(Listener(certificate, key));

        _backend.Start();
        _backendLoop = ServeBackendAsync();

        var options = new KestrelServerOptions { ApplicationServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        options.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            listen.Use(next => context => AcceptAsync(plan, context, next));
        });
        _server = new KestrelServer(Options.Create(options), new SocketTransportFactory(Options.Create(new SocketTransportOptions()), NullLoggerFactory.Instance), NullLoggerFactory.Instance);
        await _server.StartAsync(new DescribeRequestApplication(), CancellationToken.None);
        _port = new Uri(_server.Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port;
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_server != null)
        {
            await _server.StopAsync(CancellationToken.None);
            _server.Dispose();
        }

        _backend.Stop();
        if (_backendLoop != null)
        {
            await _backendLoop.WaitAsync(Guard);
        }

        _directory.Dispose();
    }

    [Theory]
    [InlineData("1.1", "HTTP/1.1")]
    [InlineData("2.0", "HTTP/2")]
    public async Task Terminated_SniChainServesHttpByAlpn(string version, string expectedProtocol)
    {
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, _port, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == _proxyCertificate.GetCertHashString() },
        };
        using var client = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://term.test/hello")
        {
            Version = Version.Parse(version),
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        using var response = await client.SendAsync(request).WaitAsync(Guard);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"{expectedProtocol} /hello sni=term.test", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Passthrough_SniChainRelaysTlsToTheBackendEndToEnd()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, _port);
        string? seenCertificate = null;
        await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "pass.test",
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                seenCertificate = certificate?.GetCertHashString();
                return true;
            },
        }).WaitAsync(Guard);

        await tls.WriteAsync("ping\n"u8.ToArray());
        var reply = new byte[64];
        var read = await tls.ReadAsync(reply).AsTask().WaitAsync(Guard);

        Assert.Equal(_backendCertificate.GetCertHashString(), seenCertificate);
        Assert.Equal("backend got ping", Encoding.ASCII.GetString(reply, 0, read));
        Assert.True(_tcpStats.DownstreamCxRxBytesTotal > 5);
    }

    [Fact]
    public async Task UnknownSni_ConnectionIsClosed()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, _port);
        await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));

        await Assert.ThrowsAnyAsync<Exception>(() => tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "nobody.test",
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        }).WaitAsync(Guard));
    }

    /// <summary>The connection middleware the pipeline will have, reduced to the Connections pieces.</summary>
    private async Task AcceptAsync(ListenerPlan plan, ConnectionContext context, ConnectionDelegate next)
    {
        var hello = plan.NeedsTlsInspection ? await ClientHelloPeek.PeekAsync(context.Transport.Input, context.ConnectionClosed) : ClientHello.NotTls;
        var facts = ConnectionFacts.Inspected((IPEndPoint)context.LocalEndPoint!, (IPEndPoint)context.RemoteEndPoint!, hello);
        switch (plan.Select(facts))
        {
            case HttpChainPlan { Tls: { } tls }:
                var handshake = await TlsTermination.AuthenticateAsync(context.Transport, tls, hello.ServerName, context.ConnectionClosed);
                if (handshake.Connection == null)
                {
                    context.Abort();
                    return;
                }

                await handshake.Connection.ServeAsync(context, next);
                return;
            case HttpChainPlan:
                await next(context);
                return;
            case TcpProxyChainPlan tcp:
                await TcpProxy.RunAsync(new DuplexPipeStream(context.Transport), ConnectBackendAsync, tcp.Settings, _tcpStats, TimeProvider.System, context.ConnectionClosed);
                return;
            default:
                context.Abort();
                return;
        }
    }

    private async ValueTask<Stream> ConnectBackendAsync(CancellationToken token)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync((IPEndPoint)_backend.LocalEndpoint, token);
        return new NetworkStream(socket, ownsSocket: true);
    }

    private async Task ServeBackendAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var socket = await _backend.AcceptSocketAsync(_stop.Token);
                _ = Task.Run(async () =>
                {
                    await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _backendCertificate });
                    var buffer = new byte[64];
                    var read = await tls.ReadAsync(buffer);
                    await tls.WriteAsync(Encoding.ASCII.GetBytes("backend got " + Encoding.ASCII.GetString(buffer, 0, read).TrimEnd('\n')));
                    await tls.ShutdownAsync();
                });
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private static Listener Listener(string certificate, string key)
    {
        var tls = new DownstreamTlsContext
        {
            CommonTlsContext = new CommonTlsContext
            {
                TlsCertificates = { new TlsCertificate { CertificateChain = new DataSource { Filename = certificate }, PrivateKey = new DataSource { Filename = key } } },
            },
        };
        var manager = new HttpConnectionManager { StatPrefix = "https", Rds = new Rds { RouteConfigName = "https.443" } };
        return new Listener
        {
            Name = "0.0.0.0_443",
            ListenerFilters = { new ListenerFilter { Name = ListenerPlan.TlsInspectorFilter } },
            FilterChains =
            {
                new FilterChain
                {
                    FilterChainMatch = new FilterChainMatch { ServerNames = { "term.test" } },
                    TransportSocket = new TransportSocket { Name = DownstreamTls.TransportSocketName, TypedConfig = Any.Pack(tls) },
                    Filters = { new Filter { Name = ListenerPlan.HttpConnectionManagerFilter, TypedConfig = Any.Pack(manager) } },
                },
                new FilterChain
                {
                    FilterChainMatch = new FilterChainMatch { ServerNames = { "pass.test" } },
                    Filters = { new Filter { Name = ListenerPlan.TcpProxyFilter, TypedConfig = Any.Pack(new EnvoyTcpProxy { StatPrefix = "pass", Cluster = "backend" }) } },
                },
            },
        };
    }

    /// <summary>Answers every request with its protocol, path and the SNI the TLS layer saw.</summary>
    private sealed class DescribeRequestApplication : IHttpApplication<IFeatureCollection>
    {
        public IFeatureCollection CreateContext(IFeatureCollection contextFeatures) => contextFeatures;

        public async Task ProcessRequestAsync(IFeatureCollection context)
        {
            var request = context.Get<IHttpRequestFeature>()!;
            var text = $"{request.Protocol} {request.Path} sni={context.Get<ITlsHandshakeFeature>()?.HostName}";
            context.Get<IHttpResponseFeature>()!.StatusCode = 200;
            await context.Get<IHttpResponseBodyFeature>()!.Writer.WriteAsync(Encoding.ASCII.GetBytes(text));
        }

        public void DisposeContext(IFeatureCollection context, Exception? exception)
        {
        }
    }
}
