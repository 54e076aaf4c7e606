using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Listener.TlsInspector.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Proxy.Connections;
using Meshwork.Proxy.Http;
using Meshwork.Proxy.Listeners;
using Meshwork.Proxy.Tests.Connections;
using Meshwork.Proxy.Tests.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Mode = Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager.Types.ForwardClientCertDetails;
using TlsCertificate = Envoy.Extensions.TransportSockets.Tls.V3.TlsCertificate;

namespace Meshwork.Proxy.Tests.Http;

/// <summary>
/// x-forwarded-client-cert through the real data path: a listener shaped as Pilot builds a
/// PERMISSIVE inbound port (an mTLS chain for Istio's ALPNs beside plaintext), with static
/// certificates from files, in front of an app that echoes what it received. Clients speak real
/// TLS with a SPIFFE client certificate, or plaintext with a forged header.
/// </summary>
public sealed class ClientCertForwardingTests : IAsyncLifetime
{
    private const string ServerId = "spiffe://cluster.local/ns/default/sa/reviews";
    private const string ClientId = "spiffe://cluster.local/ns/default/sa/productpage";
    private const string Forged = "By=spiffe://evil;URI=spiffe://cluster.local/ns/default/sa/admin";
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _directory = new();
    private readonly X509Certificate2 _ca = TestCertificates.CreateCa("Mesh Root");
    private readonly X509Certificate2 _client;
    private ListenerServer? _app;

    public ClientCertForwardingTests() => _client = TestCertificates.CreateLeaf(["productpage.default"], _ca, [ClientId], client: true);

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection().BuildServiceProvider();
        var app = new ProxyHttpApplication(async context =>
        {
            var values = context.Request.Headers[ClientCertForwarding.Header];
            var body = Encoding.UTF8.GetBytes($"{values.Count}|{string.Join("\n", values.ToArray())}");
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body);
        });
        _app = await ListenerServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), (c, next) => next(c), app, services, NullLoggerFactory.Instance, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_app != null)
        {
            await _app.DisposeAsync();
        }

        _directory.Dispose();
    }

    [Fact]
    public async Task Plaintext_ForgedHeader_NeverReachesTheApp()
    {
        await using var proxy = await StartProxyAsync(Mode.AppendForward, out var port);

        var seen = await SendAsync(port, tls: false, xfcc: Forged);

        Assert.Equal("0|", seen);
    }

    [Fact]
    public async Task Mtls_AppSeesOneElementWithTheTrueIdentity()
    {
        await using var proxy = await StartProxyAsync(Mode.AppendForward, out var port);

        var seen = await SendAsync(port, tls: true, xfcc: null);

        var hash = Convert.ToHexStringLower(SHA256.HashData(_client.RawData));
        Assert.Equal($"1|By={ServerId};Hash={hash};Subject=\"CN=productpage.default\";URI={ClientId};DNS=productpage.default", seen);
    }

    [Fact]
    public async Task Mtls_IstioAlpnOnly_ServesHttp11AsEnvoyDoes()
    {
        // An Istio client to an HTTP/1.1 cluster offers only istio-peer-exchange and istio: no protocol
        // in common with the server's h2/http/1.1, which Envoy answers by negotiating no ALPN at all.
        await using var proxy = await StartProxyAsync(Mode.AppendForward, out var port);

        var seen = await SendAsync(port, tls: true, xfcc: null, alpn: ["istio-peer-exchange", "istio"]);

        Assert.StartsWith($"1|By={ServerId};", seen);
    }

    [Fact]
    public async Task Mtls_AppendForward_AppendsToWhatTheMeshPeerSent()
    {
        await using var proxy = await StartProxyAsync(Mode.AppendForward, out var port);

        var seen = await SendAsync(port, tls: true, xfcc: "By=spiffe://a;URI=spiffe://b");

        Assert.StartsWith($"1|By=spiffe://a;URI=spiffe://b,By={ServerId};Hash=", seen);
        Assert.EndsWith($";URI={ClientId};DNS=productpage.default", seen);
    }

    [Fact]
    public async Task Mtls_SanitizeSet_ReplacesAnIncomingHeader()
    {
        await using var proxy = await StartProxyAsync(Mode.SanitizeSet, out var port);

        var seen = await SendAsync(port, tls: true, xfcc: Forged);

        Assert.StartsWith($"1|By={ServerId};Hash=", seen);
        Assert.DoesNotContain("evil", seen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mtls_Sanitize_DropsTheHeaderEvenFromAVerifiedPeer()
    {
        await using var proxy = await StartProxyAsync(Mode.Sanitize, out var port);

        Assert.Equal("0|", await SendAsync(port, tls: true, xfcc: Forged));
    }

    [Fact]
    public async Task Plaintext_AlwaysForwardOnly_PassesTheHeaderUntouched()
    {
        await using var proxy = await StartProxyAsync(Mode.AlwaysForwardOnly, out var port);

        Assert.Equal($"1|{Forged}", await SendAsync(port, tls: false, xfcc: Forged));
    }

    [Fact]
    public async Task Mtls_ClientCertificateFromAnotherCa_IsRefused()
    {
        await using var proxy = await StartProxyAsync(Mode.AppendForward, out var port);
        var stranger = TestCertificates.CreateLeaf(["productpage.default"], TestCertificates.CreateCa("Other Root"), [ClientId], client: true);

        await Assert.ThrowsAnyAsync<Exception>(() => SendAsync(port, tls: true, xfcc: null, certificate: stranger));
    }

    [Fact]
    public async Task Plaintext_ToAStrictPort_IsClosedWithoutAnAnswer()
    {
        await using var proxy = await StartProxyAsync(Mode.AppendForward, out var port, strict: true);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port).WaitAsync(Guard);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync("GET / HTTP/1.1\r\nHost: reviews\r\n\r\n"u8.ToArray()).AsTask().WaitAsync(Guard);

        var answer = await ReadAllOrResetAsync(stream);

        Assert.Empty(answer);
        Assert.Equal("1|", (await SendAsync(port, tls: true, xfcc: null))[..2]);
    }

    [Fact]
    public void Subject_IsPrintedAsRfc2253LikeEnvoy()
    {
        // The builder encodes its RDNs last-added first: this is C=US, O=..., CN=... in DER order, as OpenSSL's -subj "/C=US/O=.../CN=...".
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName("a+b");
        builder.AddOrganizationName("Acme, Inc");
        builder.AddCountryOrRegion("US");
        var name = builder.Build();

        Assert.Equal("CN=a\\+b,O=Acme\\, Inc,C=US", DownstreamPeer.Rfc2253(name));
    }

    private static async Task<byte[]> ReadAllOrResetAsync(Stream stream)
    {
        var received = new MemoryStream();
        try
        {
            await stream.CopyToAsync(received).WaitAsync(Guard);
        }
        catch (IOException)
        {
            // Reset by the proxy: nothing more arrives either way.
        }

        return received.ToArray();
    }

    /// <summary>A PERMISSIVE port as Pilot builds it (mTLS chain for Istio's ALPNs, plaintext chain), or STRICT (the mTLS chain for any TLS, nothing else).</summary>
    private Task<InProcessProxy> StartProxyAsync(Mode mode, out int port, bool strict = false)
    {
        var server = TestCertificates.CreateLeaf(["reviews.default"], _ca, [ServerId]);
        var (certificate, key) = TestCertificates.WritePem(server, _directory.Path, "server-" + Guid.NewGuid().ToString("N"));
        var ca = TestCertificates.WriteCaPem(_ca, _directory.Path, "root");
        port = LoopbackPorts.FreePort();
        var tls = new DownstreamTlsContext
        {
            CommonTlsContext = new CommonTlsContext
            {
                TlsCertificates = { new TlsCertificate { CertificateChain = new DataSource { Filename = certificate }, PrivateKey = new DataSource { Filename = key } } },
                ValidationContext = new CertificateValidationContext { TrustedCa = new DataSource { Filename = ca } },
                AlpnProtocols = { "h2", "http/1.1" },
            },
            RequireClientCertificate = true,
        };
        var mtls = new FilterChainMatch { TransportProtocol = "tls" };
        if (!strict)
        {
            mtls.ApplicationProtocols.AddRange(["istio", "istio-peer-exchange", "istio-http/1.0", "istio-http/1.1", "istio-h2"]);
        }

        var listener = new Listener
        {
            Name = $"127.0.0.1_{port}",
            Address = new Address { SocketAddress = new Envoy.Config.Core.V3.SocketAddress { Address = "127.0.0.1", PortValue = (uint)port } },
            TrafficDirection = TrafficDirection.Inbound,
            ListenerFilters = { new ListenerFilter { Name = "envoy.filters.listener.tls_inspector", TypedConfig = Any.Pack(new TlsInspector()) } },
            FilterChains =
            {
                new FilterChain
                {
                    FilterChainMatch = mtls,
                    Filters = { Manager(mode) },
                    TransportSocket = new TransportSocket { Name = DownstreamTls.TransportSocketName, TypedConfig = Any.Pack(tls) },
                },
            },
        };
        if (!strict)
        {
            listener.FilterChains.Add(new FilterChain { FilterChainMatch = new FilterChainMatch { TransportProtocol = "raw_buffer" }, Filters = { Manager(mode) } });
        }

        return InProcessProxy.StartAsync([UpstreamTestClusters.Static("app", ("127.0.0.1", _app!.BoundPort))], [listener]);
    }

    private static Filter Manager(Mode mode)
    {
        var manager = new HttpConnectionManager
        {
            StatPrefix = "inbound",
            RouteConfig = InProcessProxy.CatchAllRoutes("app"),
            HttpFilters = { new HttpFilter { Name = "envoy.filters.http.router", TypedConfig = Any.Pack(new Envoy.Extensions.Filters.Http.Router.V3.Router()) } },
            ForwardClientCertDetails = mode,
            SetCurrentClientCertDetails = new HttpConnectionManager.Types.SetCurrentClientCertDetails { Subject = true, Uri = true, Dns = true },
        };
        return new Filter { Name = "envoy.filters.network.http_connection_manager", TypedConfig = Any.Pack(manager) };
    }

    /// <summary>One HTTP/1.1 request, over mTLS with Istio's ALPN (as a sidecar sends it) or plaintext; returns the body.</summary>
    private async Task<string> SendAsync(int port, bool tls, string? xfcc, X509Certificate2? certificate = null, string[]? alpn = null)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port).WaitAsync(Guard);
        Stream stream = new NetworkStream(socket, ownsSocket: false);
        if (tls)
        {
            var ssl = new SslStream(stream);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "reviews.default",
                ClientCertificates = [certificate ?? _client],
                ApplicationProtocols = (alpn ?? ["istio-http/1.1", "istio", "http/1.1"]).Select(p => new SslApplicationProtocol(p)).ToList(),
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            }).WaitAsync(Guard);
            stream = ssl;
        }

        await using (stream)
        {
            var header = xfcc == null ? string.Empty : $"{ClientCertForwarding.Header}: {xfcc}\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: reviews\r\n{header}Connection: close\r\n\r\n")).AsTask().WaitAsync(Guard);
            using var reader = new StreamReader(stream);
            var response = await reader.ReadToEndAsync().WaitAsync(Guard);
            Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
            return response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        }
    }
}
