using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Meshwork.Xds.Protos.Tests;

// The minimal working set that grpc-js-xds accepted (xds-wire.md §6) survives a wire round trip.
public class RoundTripTests
{
    [Fact]
    public void DiscoveryResponse_ListenerWithApiListener_RoundTrips()
    {
        var hcm = new HttpConnectionManager
        {
            Rds = new Rds
            {
                ConfigSource = new ConfigSource { Ads = new AggregatedConfigSource(), ResourceApiVersion = ApiVersion.V3 },
                RouteConfigName = "echo.default.svc.cluster.local:8080",
            },
            HttpFilters = { new HttpFilter { Name = "envoy.filters.http.router", TypedConfig = Any.Pack(new Router()) } },
        };
        var listener = new Listener
        {
            Name = "echo.default.svc.cluster.local:8080",
            ApiListener = new ApiListener { ApiListener_ = Any.Pack(hcm) },
        };
        var response = new DiscoveryResponse
        {
            VersionInfo = "1",
            TypeUrl = "type.googleapis.com/envoy.config.listener.v3.Listener",
            Nonce = "n1",
            Resources = { Any.Pack(listener) },
        };

        var parsed = DiscoveryResponse.Parser.ParseFrom(response.ToByteArray());

        var parsedListener = parsed.Resources[0].Unpack<Listener>();
        Assert.Equal(listener, parsedListener);
        Assert.Equal(hcm, parsedListener.ApiListener.ApiListener_.Unpack<HttpConnectionManager>());
        Assert.Equal(parsed.TypeUrl, parsed.Resources[0].TypeUrl);
    }

    [Fact]
    public void ClusterLoadAssignment_WeightedLocality_RoundTrips()
    {
        var assignment = new ClusterLoadAssignment
        {
            ClusterName = "outbound|8080||echo.default.svc.cluster.local",
            Endpoints =
            {
                new LocalityLbEndpoints
                {
                    Locality = new Locality { Region = "local" },
                    LoadBalancingWeight = 1,
                    LbEndpoints =
                    {
                        new LbEndpoint
                        {
                            Endpoint = new Endpoint { Address = new Address { SocketAddress = new SocketAddress { Address = "127.0.0.1", PortValue = 50071 } } },
                            HealthStatus = HealthStatus.Healthy,
                        },
                    },
                },
            },
        };
        var cluster = new Cluster
        {
            Name = assignment.ClusterName,
            Type = Cluster.Types.DiscoveryType.Eds,
            EdsClusterConfig = new Cluster.Types.EdsClusterConfig
            {
                EdsConfig = new ConfigSource { Ads = new AggregatedConfigSource(), ResourceApiVersion = ApiVersion.V3 },
                ServiceName = assignment.ClusterName,
            },
        };

        Assert.Equal(assignment, ClusterLoadAssignment.Parser.ParseFrom(assignment.ToByteArray()));
        Assert.Equal(cluster, Cluster.Parser.ParseFrom(cluster.ToByteArray()));
    }
}
