using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Route.V3;
using Google.Protobuf;
using Meshwork.Xds.Protos.Tests.Support;

namespace Meshwork.Xds.Protos.Tests;

// Proto3 drops default scalars unless they sit in a oneof; these fields must reach the wire even
// at their default value, or clients NACK or misread the resource (xds-wire.md gotchas 3-6).
public class PresenceTests
{
    [Fact]
    public void RouteMatch_EmptyPrefix_IsSerialized()
    {
        var match = new RouteMatch { Prefix = "" };

        Assert.Equal(new byte[] { 0x0A, 0x00 }, match.ToByteArray());
        Assert.Equal(RouteMatch.PathSpecifierOneofCase.Prefix, RouteMatch.Parser.ParseFrom(match.ToByteArray()).PathSpecifierCase);
    }

    [Fact]
    public void RouteMatch_NoPathSpecifier_WritesNothing()
    {
        Assert.Empty(new RouteMatch().ToByteArray());
    }

    [Fact]
    public void Cluster_TypeEds_SerializesFieldTwoWithValueThree()
    {
        var cluster = new Cluster { Type = Cluster.Types.DiscoveryType.Eds };

        Assert.Equal(3UL, WireFields.Varint(cluster, 2));
    }

    [Fact]
    public void Cluster_TypeStatic_IsStillPresent()
    {
        var cluster = new Cluster { Type = Cluster.Types.DiscoveryType.Static };

        Assert.Equal(0UL, WireFields.Varint(cluster, 2));
    }

    [Fact]
    public void Cluster_TypeUnset_IsAbsent()
    {
        Assert.Null(WireFields.Varint(new Cluster { Name = "c" }, 2));
    }

    [Fact]
    public void SocketAddress_PortValueZero_IsSerializedInItsOneof()
    {
        var address = new SocketAddress { Address = "0.0.0.0", PortValue = 0 };

        Assert.Equal(0UL, WireFields.Varint(address, 3));
        Assert.Equal(SocketAddress.PortSpecifierOneofCase.PortValue, SocketAddress.Parser.ParseFrom(address.ToByteArray()).PortSpecifierCase);
    }

    [Fact]
    public void SocketAddress_PortValue_UsesFieldThree()
    {
        Assert.Equal(15001UL, WireFields.Varint(new SocketAddress { PortValue = 15001 }, 3));
    }

    [Fact]
    public void LocalityLbEndpoints_EmptyLocality_IsSerialized()
    {
        var endpoints = new LocalityLbEndpoints { Locality = new Locality() };

        Assert.Equal(new byte[] { 0x0A, 0x00 }, endpoints.ToByteArray());
    }

    [Fact]
    public void ConfigSource_EmptyAds_IsSerialized()
    {
        var source = new ConfigSource { Ads = new AggregatedConfigSource() };

        Assert.Equal(new byte[] { 0x1A, 0x00 }, source.ToByteArray());
    }

    [Fact]
    public void UInt32Wrapper_ZeroWeight_IsStillPresent()
    {
        var endpoints = new LocalityLbEndpoints { LoadBalancingWeight = 0 };

        Assert.Equal([(3, WireFormat.WireType.LengthDelimited)], WireFields.TopLevel(endpoints));
    }
}
