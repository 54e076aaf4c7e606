using System.Net;
using Envoy.Config.Listener.V3;
using Meshwork.Proxy.Connections;
using Meshwork.Xds.Protos;

namespace Meshwork.Proxy.Tests.Connections;

/// <summary>Pilot's real listeners (tests/Meshwork.Pilot.Tests/testdata/lds-*/lds.json) compile, and connections land where Istio means them to.</summary>
public class ListenerPlanGoldenTests
{
    private static readonly IPEndPoint Client = new(IPAddress.Parse("203.0.113.5"), 50000);

    public static TheoryData<string> Goldens()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(TestData, "lds.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(Path.GetDirectoryName(file))!);
        }

        return data;
    }

    private static string TestData
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Meshwork.sln")))
            {
                dir = dir.Parent;
            }

            return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("no Meshwork.sln above the test binaries"), "tests", "Meshwork.Pilot.Tests", "testdata");
        }
    }

    /// <summary>The golden's listeners; gateway certificate paths under /etc/certs/ are pointed at files made for the test.</summary>
    internal static IReadOnlyList<Listener> Load(string golden, string? certificates = null)
    {
        var json = File.ReadAllText(Path.Combine(TestData, golden, "lds.json"));
        if (certificates != null)
        {
            json = json.Replace("/etc/certs/", certificates.TrimEnd('/') + "/", StringComparison.Ordinal);
        }

        using var document = System.Text.Json.JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray()
            .Select(e => XdsJson.Parser.Parse<Google.Protobuf.WellKnownTypes.Any>(e.GetRawText()).Unpack<Listener>())
            .ToList();
    }

    internal static string MakeGatewayCertificates(TempDirectory directory)
    {
        var ca = TestCertificates.CreateCa("clients CA");
        TestCertificates.WritePem(TestCertificates.CreateLeaf(["bookinfo.example.com"]), directory.Path, "bookinfo");
        TestCertificates.WritePem(TestCertificates.CreateLeaf(["secure.example.com"]), directory.Path, "secure");
        TestCertificates.WriteCaPem(ca, directory.Path, "clients-ca");
        return directory.Path;
    }

    [Theory]
    [MemberData(nameof(Goldens))]
    public void Compile_EveryPilotGolden_CompilesEveryChain(string golden)
    {
        using var directory = new TempDirectory();
        var listeners = Load(golden, MakeGatewayCertificates(directory));

        foreach (var listener in listeners.Where(l => l.FilterChains.Count > 0))
        {
            var plan = ListenerPlan.Compile(listener);
            Assert.Equal(listener.FilterChains.Count, plan.Plans.Count);
            Assert.All(plan.Plans, p => Assert.True(p is HttpChainPlan { InlineRoutes: not null } or HttpChainPlan { RdsRouteName: not null } or TcpProxyChainPlan));
        }
    }

    [Fact]
    public void Compile_GatewayWithMissingCertificateFile_NamesListenerChainAndPath()
    {
        var listener = Load("lds-gateway").Single(l => l.Name == "0.0.0.0_443");

        var error = Assert.Throws<ProxyConfigException>(() => ListenerPlan.Compile(listener));

        Assert.StartsWith("listener \"0.0.0.0_443\": filter_chains[0]: transport_socket: common_tls_context.tls_certificates[0].certificate_chain: cannot read \"/etc/certs/bookinfo.crt\"", error.Message);
    }

    [Fact]
    public void Select_Gateway443_TerminatesHttpsBySniAndPassesNginxThrough()
    {
        using var directory = new TempDirectory();
        var plan = ListenerPlan.Compile(Load("lds-gateway", MakeGatewayCertificates(directory)).Single(l => l.Name == "0.0.0.0_443"));
        var local = new IPEndPoint(IPAddress.Parse("10.0.0.2"), 443);

        Assert.True(plan.NeedsTlsInspection);
        Assert.Equal(ListenerPlan.DefaultInspectionTimeout, plan.InspectionTimeout);
        var bookinfo = Assert.IsType<HttpChainPlan>(plan.Select(new ConnectionFacts(local, Client, ConnectionFacts.Tls, "bookinfo.example.com", ["h2"])));
        Assert.Equal("https.443.https.bookinfo-gateway.default", bookinfo.RdsRouteName);
        Assert.NotNull(bookinfo.Tls);
        Assert.Equal(["h2", "http/1.1"], bookinfo.Tls!.ApplicationProtocols);
        Assert.False(bookinfo.Tls.RequireClientCertificate);

        var secure = Assert.IsType<HttpChainPlan>(plan.Select(new ConnectionFacts(local, Client, ConnectionFacts.Tls, "secure.example.com", [])));
        Assert.True(secure.Tls!.RequireClientCertificate);

        var nginx = Assert.IsType<TcpProxyChainPlan>(plan.Select(new ConnectionFacts(local, Client, ConnectionFacts.Tls, "nginx.example.com", [])));
        Assert.Null(nginx.Tls);
        Assert.Equal("outbound|443||nginx.default.svc.cluster.local", nginx.Settings.PickCluster(0.5));
        Assert.Equal(TcpProxySettings.DefaultIdleTimeout, nginx.Settings.IdleTimeout);

        Assert.Null(plan.Select(new ConnectionFacts(local, Client, ConnectionFacts.Tls, "unknown.example.com", [])));
    }

    [Fact]
    public void Select_SidecarTcpListener_SubnetChainThenWeightedDefault()
    {
        var plan = ListenerPlan.Compile(Load("lds-tcp-tls-routes").Single(l => l.Name == "127.0.0.10_27017"));

        Assert.False(plan.NeedsTlsInspection);
        var subnet = Assert.IsType<TcpProxyChainPlan>(plan.Select(ConnectionFacts.Plain(new IPEndPoint(IPAddress.Parse("10.1.4.4"), 27017), Client)));
        Assert.Equal("outbound|27017|v3|mongodb.default.svc.cluster.local", subnet.Settings.Cluster);

        var weighted = Assert.IsType<TcpProxyChainPlan>(plan.Select(ConnectionFacts.Plain(new IPEndPoint(IPAddress.Parse("127.0.0.10"), 27017), Client)));
        Assert.Equal("mongodb.default", weighted.Settings.StatPrefix);
        Assert.Equal("outbound|27017|v1|mongodb.default.svc.cluster.local", weighted.Settings.PickCluster(0.79));
        Assert.Equal("outbound|27017|v2|mongodb.default.svc.cluster.local", weighted.Settings.PickCluster(0.80));
    }

    [Fact]
    public void Select_SidecarInboundPermissive_TellsIstioMtlsFromPlaintext()
    {
        var plan = ListenerPlan.Compile(Load("lds-sidecar-basic").Single(l => l.Name == "127.0.0.10_9080"));
        var local = new IPEndPoint(IPAddress.Parse("127.0.0.10"), 9080);

        Assert.True(plan.NeedsTlsInspection);
        var http = Assert.IsType<HttpChainPlan>(plan.Select(ConnectionFacts.Plain(local, Client)));
        Assert.Equal("inbound|9080||", http.InlineRoutes!.Name);
        Assert.Null(http.Tls);

        var mtls = Assert.IsType<HttpChainPlan>(plan.Select(new ConnectionFacts(local, Client, ConnectionFacts.Tls, "outbound_.9080_._.productpage.default.svc.cluster.local", ["istio-http/1.1", "istio", "http/1.1"])));
        Assert.True(mtls.Tls!.RequireClientCertificate);
        Assert.Equal(["default", "ROOTCA"], mtls.Tls.PendingSecrets);

        // TLS from outside the mesh (no Istio ALPN) has no chain on an HTTP port, as in Istio.
        Assert.Null(plan.Select(new ConnectionFacts(local, Client, ConnectionFacts.Tls, "productpage", ["http/1.1"])));
    }

    [Fact]
    public void Select_SidecarInboundStrict_HasNoPlaintextChain()
    {
        var plan = ListenerPlan.Compile(Load("lds-peer-authn-strict").Single(l => l.Name == "127.0.0.12_9080"));
        var local = new IPEndPoint(IPAddress.Parse("127.0.0.12"), 9080);

        Assert.Null(plan.Select(ConnectionFacts.Plain(local, Client)));
        Assert.NotNull(Assert.IsType<HttpChainPlan>(plan.Select(new ConnectionFacts(local, Client, ConnectionFacts.Tls, null, ["http/1.1"]))).Tls);
    }

    [Fact]
    public void Select_SidecarInboundDisable_PlaintextWithoutInspection()
    {
        var plan = ListenerPlan.Compile(Load("lds-peer-authn-disable").Single(l => l.Name == "127.0.0.12_3306"));

        Assert.False(plan.NeedsTlsInspection);
        Assert.Null(Assert.IsType<TcpProxyChainPlan>(plan.Select(ConnectionFacts.Plain(new IPEndPoint(IPAddress.Parse("127.0.0.12"), 3306), Client))).Tls);
    }
}
