using System.Net;
using System.Security.Cryptography.X509Certificates;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Proxy.Upstream;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using static Meshwork.Proxy.Tests.Upstream.UpstreamTestClusters;

namespace Meshwork.Proxy.Tests.Upstream;

/// <summary>HTTP/2 upstreams against a real Kestrel: cleartext with prior knowledge, and over the TLS the pool originates (ALPN h2).</summary>
public sealed class Http2UpstreamTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meshwork-upstream-h2-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<WebApplication> StartKestrelAsync(X509Certificate2? certificate)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            if (certificate != null)
            {
                listen.UseHttps(certificate);
            }
        }));
        var app = builder.Build();
        app.MapGet("/", (HttpContext context) => context.Request.Protocol);
        await app.StartAsync();
        return app;
    }

    private static int PortOf(WebApplication app) => new Uri(app.Urls.First()).Port;

    private static Cluster Http2Cluster(int port)
    {
        var cluster = Static("h2", ("127.0.0.1", port));
        cluster.TypedExtensionProtocolOptions[ClusterCompiler.HttpOptionsExtension] = Any.Pack(new Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions
        {
            ExplicitHttpConfig = new() { Http2ProtocolOptions = new Http2ProtocolOptions() },
        });
        return cluster;
    }

    private static async Task<string> GetAsync(UpstreamCluster cluster)
    {
        var endpoint = cluster.Pick(default)!;
        var (version, policy) = cluster.HttpVersion(HttpVersion.Version11);
        using var request = new HttpRequestMessage(HttpMethod.Get, endpoint.DestinationPrefix + "/") { Version = version, VersionPolicy = policy };
        request.Headers.Host = "api.test";
        using var response = await endpoint.Transport.Invoker!.SendAsync(request, CancellationToken.None);
        Assert.Equal(HttpVersion.Version20, response.Version);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Send_ExplicitHttp2Cleartext_SpeaksH2WithPriorKnowledge()
    {
        await using var app = await StartKestrelAsync(null);
        var (set, _) = NewSet();

        var protocol = await GetAsync(set.ApplyOne(Http2Cluster(PortOf(app))));

        Assert.Equal("HTTP/2", protocol);
        set.Dispose();
    }

    [Fact]
    public async Task Send_ExplicitHttp2OverOriginatedTls_NegotiatesH2()
    {
        var (ca, issue) = LoopbackHttpServer.CertificateAuthority();
        await using var app = await StartKestrelAsync(issue("CN=api", ["api.test"]));
        var caFile = Path.Combine(_dir, "ca.pem");
        File.WriteAllText(caFile, ca.ExportCertificatePem());
        var cluster = Http2Cluster(PortOf(app));
        cluster.TransportSocket = new TransportSocket
        {
            Name = "envoy.transport_sockets.tls",
            TypedConfig = Any.Pack(new UpstreamTlsContext
            {
                Sni = "api.test",
                CommonTlsContext = new CommonTlsContext { ValidationContext = new CertificateValidationContext { TrustedCa = new DataSource { Filename = caFile } }, AlpnProtocols = { "h2" } },
            }),
        };
        var (set, _) = NewSet();

        var protocol = await GetAsync(set.ApplyOne(cluster));

        Assert.Equal("HTTP/2", protocol);
        set.Dispose();
    }
}
