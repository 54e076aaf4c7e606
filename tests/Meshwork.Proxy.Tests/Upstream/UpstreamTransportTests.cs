using System.Security.Cryptography.X509Certificates;
using System.Net;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Proxy.Upstream;
using static Meshwork.Proxy.Tests.Upstream.UpstreamTestClusters;
using SanType = Envoy.Extensions.TransportSockets.Tls.V3.SubjectAltNameMatcher.Types.SanType;

namespace Meshwork.Proxy.Tests.Upstream;

public sealed class UpstreamTransportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meshwork-upstream-tls-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<HttpResponseMessage> GetAsync(UpstreamCluster cluster, string host = "api.test")
    {
        var endpoint = cluster.Pick(default)!;
        var request = new HttpRequestMessage(HttpMethod.Get, endpoint.DestinationPrefix + "/") { Version = HttpVersion.Version11 };
        request.Headers.Host = host;
        return await endpoint.Transport.Invoker!.SendAsync(request, CancellationToken.None);
    }

    private static void SetHttpOptions(Cluster cluster, Action<Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions> configure)
    {
        var options = new Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions();
        configure(options);
        cluster.TypedExtensionProtocolOptions[ClusterCompiler.HttpOptionsExtension] = Any.Pack(options);
    }

    [Theory]
    [InlineData(0u, 1)]
    [InlineData(2u, 2)]
    [InlineData(1u, 4)]
    public async Task MaxRequestsPerConnection_RealServer_OpensANewConnectionAfterTheLimit(uint limit, int expectedConnections)
    {
        await using var server = new LoopbackHttpServer();
        var (set, _) = NewSet();
        var cluster = Static("c", ("127.0.0.1", server.Port));
        if (limit > 0)
        {
            SetHttpOptions(cluster, o => o.CommonHttpProtocolOptions = new HttpProtocolOptions { MaxRequestsPerConnection = limit });
        }

        var upstream = set.ApplyOne(cluster);
        for (var i = 0; i < 4; i++)
        {
            using var response = await GetAsync(upstream);
            Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(expectedConnections, server.Connections);
        Assert.Equal(expectedConnections, upstream.Stats.UpstreamCxTotal);
        set.Dispose();
    }

    [Fact]
    public async Task LogicalDns_ConnectsToTheNameResolvedPerConnection()
    {
        await using var server = new LoopbackHttpServer();
        var cluster = Static("outbound|80||localhost", ("localhost", server.Port));
        cluster.Type = Cluster.Types.DiscoveryType.LogicalDns;
        cluster.DnsLookupFamily = Cluster.Types.DnsLookupFamily.V4Only;
        var (set, _) = NewSet();
        var upstream = set.ApplyOne(cluster);

        using var response = await GetAsync(upstream);

        Assert.Equal($"http://localhost:{server.Port}", upstream.Endpoints[0].DestinationPrefix);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, upstream.DescribeEndpoints().Single().CxActive);
        set.Dispose();
    }

    [Fact]
    public async Task Connect_RefusedPort_CountsConnectFailure()
    {
        var (set, _) = NewSet();
        int port;
        await using (var server = new LoopbackHttpServer())
        {
            port = server.Port;
        }

        var upstream = set.ApplyOne(Static("c", ("127.0.0.1", port)));

        await Assert.ThrowsAsync<HttpRequestException>(() => GetAsync(upstream));
        Assert.Equal(1, upstream.Stats.UpstreamCxConnectFail);
        set.Dispose();
    }

    private Cluster TlsCluster(int port, UpstreamTlsContext context) => new()
    {
        Name = "tls",
        Type = Cluster.Types.DiscoveryType.Static,
        LoadAssignment = Assignment("tls", Host("127.0.0.1", port)),
        TransportSocket = new TransportSocket { Name = "envoy.transport_sockets.tls", TypedConfig = Any.Pack(context) },
    };

    private string WritePem(string name, string pem)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, pem);
        return path;
    }

    private UpstreamTlsContext Simple(string caFile, string sni, params string[] dnsSans)
    {
        var validation = new CertificateValidationContext { TrustedCa = new DataSource { Filename = caFile } };
        validation.MatchTypedSubjectAltNames.AddRange(dnsSans.Select(s => new SubjectAltNameMatcher { SanType = SanType.Dns, Matcher = new StringMatcher { Exact = s } }));
        return new UpstreamTlsContext { Sni = sni, CommonTlsContext = new CommonTlsContext { ValidationContext = validation } };
    }

    [Fact]
    public async Task Tls_Simple_VerifiesServerAgainstTheClusterCaAndSendsSni()
    {
        var (ca, issue) = LoopbackHttpServer.CertificateAuthority();
        await using var server = new LoopbackHttpServer(issue("CN=api", ["api.test"]));
        var caFile = WritePem("ca.pem", ca.ExportCertificatePem());
        var (set, _) = NewSet();
        var upstream = set.ApplyOne(TlsCluster(server.Port, Simple(caFile, "api.test", "api.test")));

        using var response = await GetAsync(upstream);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["api.test"], server.SniSeen);
        Assert.True(upstream.Endpoints[0].Transport.IsTls);
        set.Dispose();
    }

    [Fact]
    public async Task Tls_ClusterSni_WinsOverTheRequestHostAndLimitsRequestsPerConnection()
    {
        var (ca, issue) = LoopbackHttpServer.CertificateAuthority();
        await using var server = new LoopbackHttpServer(issue("CN=api", ["api.test"]));
        var cluster = TlsCluster(server.Port, Simple(WritePem("ca.pem", ca.ExportCertificatePem()), "api.test", "api.test"));
        SetHttpOptions(cluster, o => o.CommonHttpProtocolOptions = new HttpProtocolOptions { MaxRequestsPerConnection = 2 });
        var (set, _) = NewSet();
        var upstream = set.ApplyOne(cluster);

        for (var i = 0; i < 4; i++)
        {
            using var response = await GetAsync(upstream, host: "reviews.default.svc.cluster.local");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(["api.test", "api.test"], server.SniSeen);
        Assert.Equal(2, server.Connections);
        Assert.StartsWith("https://127.0.0.1:", upstream.Endpoints[0].DestinationPrefix);
        set.Dispose();
    }

    [Theory]
    [InlineData("other.test", false)]
    [InlineData("api.test", true)]
    public async Task Tls_Simple_RejectsAServerWhoseSanDoesNotMatchOrWhoseCaIsUnknown(string expectedSan, bool wrongCa)
    {
        var (ca, issue) = LoopbackHttpServer.CertificateAuthority();
        var (otherCa, _) = LoopbackHttpServer.CertificateAuthority();
        await using var server = new LoopbackHttpServer(issue("CN=api", ["api.test"]));
        var caFile = WritePem("ca.pem", (wrongCa ? otherCa : ca).ExportCertificatePem());
        var (set, _) = NewSet();
        var upstream = set.ApplyOne(TlsCluster(server.Port, Simple(caFile, "api.test", expectedSan)));

        await Assert.ThrowsAsync<HttpRequestException>(() => GetAsync(upstream));
        Assert.Equal(1, upstream.Stats.UpstreamCxConnectFail);
        set.Dispose();
    }

    [Fact]
    public async Task Tls_Mutual_PresentsTheClientCertificateFromFiles()
    {
        var (ca, issue) = LoopbackHttpServer.CertificateAuthority();
        await using var server = new LoopbackHttpServer(issue("CN=api", ["api.test"]), requireClientCertificate: true);
        var client = issue("CN=client", ["spiffe://test/client"]);
        var context = Simple(WritePem("ca.pem", ca.ExportCertificatePem()), "api.test");
        context.CommonTlsContext.TlsCertificates.Add(new TlsCertificate
        {
            CertificateChain = new DataSource { Filename = WritePem("client.pem", client.ExportCertificatePem()) },
            PrivateKey = new DataSource { Filename = WritePem("client-key.pem", client.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem()) },
        });
        var (set, _) = NewSet();
        var upstream = set.ApplyOne(TlsCluster(server.Port, context));

        using var response = await GetAsync(upstream);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["CN=client"], server.ClientCertificatesSeen);
        set.Dispose();
    }

    [Fact]
    public void SubjectAltNames_UriAndIpSans_AreReadForMatching()
    {
        var (_, issue) = LoopbackHttpServer.CertificateAuthority();

        var names = UpstreamCertificateCheck.SubjectAltNames(issue("CN=partner", ["spiffe://partner.example/api", "192.0.2.10", "api.partner.example"]));

        Assert.Equal([(SanType.Uri, "spiffe://partner.example/api"), (SanType.IpAddress, "192.0.2.10"), (SanType.Dns, "api.partner.example")], names);
    }

    [Theory]
    [InlineData("::1", "[::1]:80")]
    [InlineData("[::1]", "[::1]:80")]
    [InlineData("10.0.0.1", "10.0.0.1:80")]
    [InlineData("svc.example", "svc.example:80")]
    public void FormatAddress_BracketsIpv6Once(string host, string expected) =>
        Assert.Equal(expected, UpstreamEndpoint.FormatAddress(host, 80));

    [Fact]
    public void Tls_MissingCertificateFiles_MakeTheTransportUnavailable()
    {
        var (set, _) = NewSet();
        var upstream = set.ApplyOne(TlsCluster(443, Simple(Path.Combine(_dir, "missing.pem"), "api.test")));

        var transport = upstream.Pick(default)!.Transport;

        Assert.Null(transport.Invoker);
        Assert.StartsWith("TLS credentials unavailable", transport.UnavailableReason);
    }

    [Fact]
    public void TransportSocketMatches_AutoMtls_IstioEndpointsNeedUnavailableWorkloadCertificates()
    {
        var istio = new UpstreamTlsContext { Sni = "outbound_.80_._.svc", CommonTlsContext = new CommonTlsContext() };
        istio.CommonTlsContext.TlsCertificateSdsSecretConfigs.Add(new SdsSecretConfig { Name = "default" });
        istio.CommonTlsContext.CombinedValidationContext = new CommonTlsContext.Types.CombinedCertificateValidationContext
        {
            DefaultValidationContext = new CertificateValidationContext(),
            ValidationContextSdsSecretConfig = new SdsSecretConfig { Name = "ROOTCA" },
        };
        var cluster = Eds("c");
        cluster.TransportSocketMatches.Add(new Cluster.Types.TransportSocketMatch
        {
            Name = "tlsMode-istio",
            Match = new Struct { Fields = { ["tlsMode"] = Value.ForString("istio") } },
            TransportSocket = new TransportSocket { Name = "envoy.transport_sockets.tls", TypedConfig = Any.Pack(istio) },
        });
        cluster.TransportSocketMatches.Add(new Cluster.Types.TransportSocketMatch
        {
            Name = "tlsMode-disabled",
            Match = new Struct(),
            TransportSocket = new TransportSocket { Name = "envoy.transport_sockets.raw_buffer", TypedConfig = Any.Pack(new Envoy.Extensions.TransportSockets.RawBuffer.V3.RawBuffer()) },
        });
        var mesh = Host("10.0.0.1");
        mesh.Metadata = new Metadata { FilterMetadata = { ["envoy.transport_socket_match"] = new Struct { Fields = { ["tlsMode"] = Value.ForString("istio") } } } };
        var (set, _) = NewSet();

        var upstream = set.ApplyOne(cluster, Assignment("c", mesh, Host("10.0.0.2")));

        var sidecar = upstream.Endpoints.Single(e => e.Host == "10.0.0.1").Transport;
        Assert.Null(sidecar.Invoker);
        Assert.Equal("TLS credentials unavailable: client certificate \"default\" comes from SDS, which this proxy does not serve yet", sidecar.UnavailableReason);
        var plain = upstream.Endpoints.Single(e => e.Host == "10.0.0.2").Transport;
        Assert.NotNull(plain.Invoker);
        Assert.False(plain.IsTls);
    }

    [Fact]
    public void Transport_UpstreamProxyProtocol_IsUnavailableWithAClearReason()
    {
        var cluster = Static("pp", ("127.0.0.1", 8080));
        cluster.TransportSocket = new TransportSocket
        {
            Name = "envoy.transport_sockets.upstream_proxy_protocol",
            TypedConfig = Any.Pack(new Envoy.Extensions.TransportSockets.ProxyProtocol.V3.ProxyProtocolUpstreamTransport
            {
                Config = new ProxyProtocolConfig { Version = ProxyProtocolConfig.Types.Version.V2 },
                TransportSocket = new TransportSocket { Name = "envoy.transport_sockets.raw_buffer", TypedConfig = Any.Pack(new Envoy.Extensions.TransportSockets.RawBuffer.V3.RawBuffer()) },
            }),
        };
        var (set, _) = NewSet();

        var transport = set.ApplyOne(cluster).Pick(default)!.Transport;

        Assert.Null(transport.Invoker);
        Assert.Equal("upstream PROXY protocol v2 (envoy.transport_sockets.upstream_proxy_protocol) is not supported yet", transport.UnavailableReason);
    }
}
