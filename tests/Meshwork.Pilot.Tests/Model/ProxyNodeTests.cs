using Google.Protobuf.WellKnownTypes;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Tests.Model;

public class ProxyNodeTests
{
    private static Struct Metadata(params (string Key, Value Value)[] fields)
    {
        var s = new Struct();
        foreach (var (key, value) in fields)
        {
            s.Fields[key] = value;
        }

        return s;
    }

    [Fact]
    public void Parse_IstioSidecarId_TakesNameNamespaceAndIp()
    {
        var node = ProxyNode.Parse("sidecar~10.1.2.3~reviews-v1-abc.bookinfo~bookinfo.svc.cluster.local", null, out var error);

        Assert.Null(error);
        Assert.Equal(ProxyType.Sidecar, node!.Type);
        Assert.Equal("reviews-v1-abc", node.Name);
        Assert.Equal("bookinfo", node.Namespace);
        Assert.Equal("10.1.2.3", node.IpAddress);
        Assert.Equal("bookinfo.svc.cluster.local", node.DnsDomain);
    }

    [Fact]
    public void Parse_Metadata_GivesLabelsAccountPortsAndGenerator()
    {
        var labels = new Struct();
        labels.Fields["app"] = Value.ForString("reviews");
        labels.Fields["version"] = Value.ForString("v1");
        var metadata = Metadata(
            ("NAMESPACE", Value.ForString("shop")),
            ("LABELS", Value.ForStruct(labels)),
            ("SERVICE_ACCOUNT", Value.ForString("reviews")),
            ("INSTANCE_IPS", Value.ForString("127.0.0.5,::5")),
            ("POD_PORTS", Value.ForString("[{\"name\":\"http\",\"containerPort\":9080,\"protocol\":\"TCP\"}]")),
            ("GENERATOR", Value.ForString("grpc")));

        var node = ProxyNode.Parse("router~127.0.0.5~gw.other~other.svc.cluster.local", metadata, out _)!;

        Assert.Equal(ProxyType.Router, node.Type);
        Assert.Equal("shop", node.Namespace);
        Assert.Equal(["127.0.0.5", "::5"], node.IpAddresses);
        Assert.Equal("v1", node.Labels["version"]);
        Assert.Equal("reviews", node.ServiceAccount);
        Assert.Equal(new NamedPort("http", 9080, "TCP"), Assert.Single(node.Ports));
        Assert.True(node.IsProxylessGrpc);
    }

    [Theory]
    [InlineData("sidecar~10.0.0.1~x", "missing parts in the node id \"sidecar~10.0.0.1~x\": expected TYPE~IP~NAME.NAMESPACE~DOMAIN")]
    [InlineData("ztunnel~10.0.0.1~x.ns~ns.svc.cluster.local", "invalid node type \"ztunnel\" in the node id \"ztunnel~10.0.0.1~x.ns~ns.svc.cluster.local\": expected sidecar or router")]
    public void Parse_MalformedId_SaysWhy(string id, string expected)
    {
        Assert.Null(ProxyNode.Parse(id, null, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Parse_BadPodPorts_AreIgnoredNotFatal()
    {
        var node = ProxyNode.Parse("sidecar~1.1.1.1~a.ns~ns.svc.cluster.local", Metadata(("POD_PORTS", Value.ForString("not json"))), out _)!;

        Assert.Empty(node.Ports);
    }

    private static Envoy.Config.Core.V3.Node Node(string labels, string region = "", string zone = "", string subZone = "", string network = "")
    {
        var labelStruct = new Struct();
        foreach (var kv in labels.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=')))
        {
            labelStruct.Fields[kv[0]] = Value.ForString(kv[1]);
        }

        var metadata = Metadata(("LABELS", Value.ForStruct(labelStruct)));
        if (network.Length > 0)
        {
            metadata.Fields["NETWORK"] = Value.ForString(network);
        }

        return new Envoy.Config.Core.V3.Node
        {
            Id = "sidecar~10.0.0.1~a.ns~ns.svc.cluster.local",
            Metadata = metadata,
            Locality = new Envoy.Config.Core.V3.Locality { Region = region, Zone = zone, SubZone = subZone },
        };
    }

    [Fact]
    public void Parse_NodeLocalityAndNetwork_AreKept()
    {
        var node = ProxyNode.Parse(Node("app=a", "us-east", "zone1", "sub1", "net1"), out _)!;

        Assert.Equal(new WorkloadLocality("us-east", "zone1", "sub1"), node.Locality);
        Assert.Equal("net1", node.Network);
    }

    [Fact]
    public void Parse_TopologyLabels_WinOverTheNodeLocality()
    {
        var node = ProxyNode.Parse(Node("topology.kubernetes.io/region=eu-west,topology.istio.io/subzone=rack3", "us-east", "zone1"), out _)!;

        Assert.Equal(new WorkloadLocality("eu-west", string.Empty, "rack3"), node.Locality);
    }

    [Fact]
    public void Parse_LocalityLabel_WinsOverTheNodeLocalityWithDotsForSlashes()
    {
        var node = ProxyNode.Parse(Node("istio-locality=eu-west.zone2", "us-east", "zone1"), out _)!;

        Assert.Equal(new WorkloadLocality("eu-west", "zone2", string.Empty), node.Locality);
    }

    [Fact]
    public void Parse_NoLocalityAnywhere_IsEmpty()
    {
        var node = ProxyNode.Parse("sidecar~10.0.0.1~a.ns~ns.svc.cluster.local", null, out _)!;

        Assert.True(node.Locality.IsEmpty);
        Assert.Equal(string.Empty, node.Network);
    }

    [Fact]
    public void ToRegistration_CarriesLocalityAndNetwork_SoTheProxysEndpointAgrees()
    {
        var registration = ProxyNode.Parse(Node("app=a", "us-east", "zone1", network: "net1"), out _)!.ToRegistration();

        Assert.Equal("us-east/zone1", registration.Locality);
        Assert.Equal("net1", registration.Network);
    }

    [Fact]
    public void TopologyLabels_AddRegionZoneSubzoneAndNetwork()
    {
        var node = ProxyNode.Parse(Node("app=a", "us-east", "zone1", network: "net1"), out _)!;

        Assert.Equal("us-east", node.TopologyLabels["topology.kubernetes.io/region"]);
        Assert.Equal("zone1", node.TopologyLabels["topology.kubernetes.io/zone"]);
        Assert.False(node.TopologyLabels.ContainsKey("topology.istio.io/subzone"));
        Assert.Equal("net1", node.TopologyLabels["topology.istio.io/network"]);
        Assert.Equal("a", node.TopologyLabels["app"]);
    }

    [Fact]
    public void Equality_DifferentLocality_IsADifferentProxy()
    {
        var east = ProxyNode.Parse(Node("app=a", "us-east"), out _)!;
        var west = ProxyNode.Parse(Node("app=a", "us-west"), out _)!;

        Assert.NotEqual(east, west);
        Assert.Equal(east, ProxyNode.Parse(Node("app=a", "us-east"), out _));
    }
}
