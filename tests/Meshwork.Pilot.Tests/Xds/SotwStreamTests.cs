using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Service.Discovery.V3;

using Grpc.Core;
using Meshwork.Pilot.Push;
using Meshwork.Pilot.Xds;

namespace Meshwork.Pilot.Tests.Xds;

public sealed class SotwStreamTests : IAsyncLifetime
{
    private AdsHarness _ads = null!;

    public async Task InitializeAsync() => _ads = await AdsHarness.StartAsync();

    public async Task DisposeAsync() => await _ads.DisposeAsync();

    private static DiscoveryRequest Ack(DiscoveryResponse response, params string[] names)
    {
        var ack = new DiscoveryRequest { TypeUrl = response.TypeUrl, VersionInfo = response.VersionInfo, ResponseNonce = response.Nonce };
        ack.ResourceNames.AddRange(names);
        return ack;
    }

    [Fact]
    public async Task WildcardCds_GetsEveryCluster_AndAnAckGetsNothing()
    {
        _ads.Clusters.Set(("outbound|80||a.example.com", 1), ("outbound|80||b.example.com", 2));
        using var call = _ads.Client.StreamAggregatedResources();

        await call.RequestStream.WriteAsync(new DiscoveryRequest { Node = AdsHarness.Node(), TypeUrl = TypeUrls.Cluster });
        var response = await _ads.NextAsync(call.ResponseStream);

        Assert.Equal(TypeUrls.Cluster, response.TypeUrl);
        Assert.Equal(["outbound|80||a.example.com", "outbound|80||b.example.com"], response.Resources.Select(r => r.Unpack<Cluster>().Name));
        Assert.All(response.Resources, r => Assert.Equal(TypeUrls.Cluster, r.TypeUrl));
        Assert.NotEmpty(response.Nonce);

        await call.RequestStream.WriteAsync(Ack(response));

        await _ads.WaitAckedAsync(response.TypeUrl, response.Nonce);
        await _ads.AssertSilentAsync(call.ResponseStream);
        var watch = Assert.Single(_ads.Server.Connections).Watched[TypeUrls.Cluster];
        Assert.Equal(response.Nonce, watch.NonceAcked);
        Assert.Equal(response.VersionInfo, watch.VersionAcked);
    }

    [Fact]
    public async Task Push_ChangedClusters_SendsTheWholeSetAgain_UnchangedSendsNothing()
    {
        _ads.Clusters.Set(("a", 1), ("b", 2));
        using var call = _ads.Client.StreamAggregatedResources();
        await call.RequestStream.WriteAsync(new DiscoveryRequest { Node = AdsHarness.Node(), TypeUrl = TypeUrls.Cluster });
        var first = await _ads.NextAsync(call.ResponseStream);
        await call.RequestStream.WriteAsync(Ack(first));
        await _ads.WaitAckedAsync(first.TypeUrl, first.Nonce);

        _ads.Push(new PushRequest { Full = true });
        await _ads.AssertSilentAsync(call.ResponseStream);

        _ads.Clusters.Set(("a", 1), ("b", 3));
        _ads.Push(new PushRequest { Full = true });
        var second = await _ads.NextAsync(call.ResponseStream);

        Assert.Equal(["a", "b"], second.Resources.Select(r => r.Unpack<Cluster>().Name));
        Assert.NotEqual(first.Nonce, second.Nonce);
        Assert.NotEqual(first.VersionInfo, second.VersionInfo);

        _ads.Clusters.Set(("a", 1));
        _ads.Push(new PushRequest { Full = true });
        var third = await _ads.NextAsync(call.ResponseStream);
        Assert.Equal(["a"], third.Resources.Select(r => r.Unpack<Cluster>().Name));
    }

    [Fact]
    public async Task NamedEds_SendsOnlyRequested_AndAPushSendsOnlyWhatChanged()
    {
        _ads.Endpoints.Set(("a", 1), ("b", 1), ("c", 1));
        using var call = _ads.Client.StreamAggregatedResources();
        var request = new DiscoveryRequest { Node = AdsHarness.Node(), TypeUrl = TypeUrls.Endpoint };
        request.ResourceNames.AddRange(["a", "b"]);
        await call.RequestStream.WriteAsync(request);
        var first = await _ads.NextAsync(call.ResponseStream);
        Assert.Equal(["a", "b"], first.Resources.Select(r => r.Unpack<ClusterLoadAssignment>().ClusterName));
        await call.RequestStream.WriteAsync(Ack(first, "a", "b"));
        await _ads.WaitAckedAsync(first.TypeUrl, first.Nonce);

        _ads.Endpoints.Set(("a", 1), ("b", 5), ("c", 7));
        _ads.Push(PushRequest.ForEndpoints(["b"], DateTimeOffset.UtcNow));
        var second = await _ads.NextAsync(call.ResponseStream);

        Assert.Equal(["b"], second.Resources.Select(r => r.Unpack<ClusterLoadAssignment>().ClusterName));
        Assert.Equal(5u, second.Resources[0].Unpack<ClusterLoadAssignment>().Endpoints[0].LoadBalancingWeight);
    }

    [Fact]
    public async Task EndpointOnlyPush_DoesNotRegenerateClusters()
    {
        _ads.Clusters.Set(("a", 1));
        using var call = _ads.Client.StreamAggregatedResources();
        await call.RequestStream.WriteAsync(new DiscoveryRequest { Node = AdsHarness.Node(), TypeUrl = TypeUrls.Cluster });
        await call.RequestStream.WriteAsync(Ack(await _ads.NextAsync(call.ResponseStream)));
        var callsBefore = _ads.Clusters.Calls;

        _ads.Push(PushRequest.ForEndpoints(["a"], DateTimeOffset.UtcNow));
        await _ads.AssertSilentAsync(call.ResponseStream);

        Assert.Equal(callsBefore, _ads.Clusters.Calls);
    }

    [Fact]
    public async Task Nack_IsLoggedWithTheProxysReason_AndNothingIsResent()
    {
        _ads.Clusters.Set(("a", 1));
        using var call = _ads.Client.StreamAggregatedResources();
        await call.RequestStream.WriteAsync(new DiscoveryRequest { Node = AdsHarness.Node(), TypeUrl = TypeUrls.Cluster });
        var first = await _ads.NextAsync(call.ResponseStream);
        await call.RequestStream.WriteAsync(Ack(first));
        await _ads.WaitAckedAsync(first.TypeUrl, first.Nonce);
        _ads.Clusters.Set(("a", 2));
        _ads.Push(new PushRequest { Full = true });
        var second = await _ads.NextAsync(call.ResponseStream);

        await call.RequestStream.WriteAsync(new DiscoveryRequest
        {
            TypeUrl = TypeUrls.Cluster,
            VersionInfo = first.VersionInfo,
            ResponseNonce = second.Nonce,
            ErrorDetail = new Google.Rpc.Status { Code = 14, Message = "xDS response validation errors: [resource index 0: bad cluster]" },
        });
        await _ads.WaitNackedAsync(TypeUrls.Cluster);
        await _ads.AssertSilentAsync(call.ResponseStream);

        var watch = Assert.Single(_ads.Server.Connections).Watched[TypeUrls.Cluster];
        Assert.Equal(first.VersionInfo, watch.VersionAcked);
        Assert.Equal("xDS response validation errors: [resource index 0: bad cluster]", watch.LastNack);
        Assert.Contains(_ads.ServerLogs, l => l.Contains("rejected CDS") && l.Contains("bad cluster") && l.Contains("sidecar~10.0.0.1~reviews-v1.shop"));
    }

    [Fact]
    public async Task StaleNonce_IsIgnored()
    {
        _ads.Clusters.Set(("a", 1));
        using var call = _ads.Client.StreamAggregatedResources();
        await call.RequestStream.WriteAsync(new DiscoveryRequest { Node = AdsHarness.Node(), TypeUrl = TypeUrls.Cluster });
        var first = await _ads.NextAsync(call.ResponseStream);

        await call.RequestStream.WriteAsync(new DiscoveryRequest { TypeUrl = TypeUrls.Cluster, ResponseNonce = "not-a-nonce-we-sent", ResourceNames = { "x" } });
        await _ads.AssertSilentAsync(call.ResponseStream);

        var watch = Assert.Single(_ads.Server.Connections).Watched[TypeUrls.Cluster];
        Assert.Equal(string.Empty, watch.NonceAcked);
        Assert.Equal(first.Nonce, watch.NonceSent);
    }

    [Fact]
    public async Task ChangedNames_GetAResponse_EmptyNamesUnsubscribe()
    {
        _ads.Endpoints.Set(("a", 1), ("b", 1));
        using var call = _ads.Client.StreamAggregatedResources();
        await call.RequestStream.WriteAsync(new DiscoveryRequest { Node = AdsHarness.Node(), TypeUrl = TypeUrls.Endpoint, ResourceNames = { "a" } });
        var first = await _ads.NextAsync(call.ResponseStream);

        await call.RequestStream.WriteAsync(Ack(first, "a", "b"));

        await _ads.WaitAckedAsync(first.TypeUrl, first.Nonce);
        var second = await _ads.NextAsync(call.ResponseStream);
        Assert.Equal(["a", "b"], second.Resources.Select(r => r.Unpack<ClusterLoadAssignment>().ClusterName));

        await call.RequestStream.WriteAsync(Ack(second));

        await _ads.WaitAckedAsync(second.TypeUrl, second.Nonce);
        await _ads.AssertSilentAsync(call.ResponseStream);
        _ads.Endpoints.Set(("a", 9), ("b", 9));
        _ads.Push(PushRequest.ForEndpoints(["a"], DateTimeOffset.UtcNow));
        await _ads.AssertSilentAsync(call.ResponseStream);
    }

    [Fact]
    public async Task BadNodeId_EndsTheStreamWithInvalidArgument()
    {
        using var call = _ads.Client.StreamAggregatedResources();
        await call.RequestStream.WriteAsync(new DiscoveryRequest { Node = AdsHarness.Node("not-an-istio-id"), TypeUrl = TypeUrls.Cluster });

        var error = await Assert.ThrowsAsync<RpcException>(() => _ads.NextAsync(call.ResponseStream));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("missing parts in the node id", error.Status.Detail);
    }

    [Fact]
    public async Task Disconnect_RemovesTheConnection()
    {
        using (var call = _ads.Client.StreamAggregatedResources())
        {
            await call.RequestStream.WriteAsync(new DiscoveryRequest { Node = AdsHarness.Node(), TypeUrl = TypeUrls.Cluster });
            await _ads.NextAsync(call.ResponseStream);
            Assert.Single(_ads.Server.Connections);
            await call.RequestStream.CompleteAsync();
        }

        SpinWait.SpinUntil(() => _ads.Server.Connections.Count == 0, TimeSpan.FromSeconds(10));
        Assert.Empty(_ads.Server.Connections);
    }

    [Fact]
    public async Task Connect_NodeLocality_IsTheProxysLocality()
    {
        _ads.Clusters.Set(("outbound|80||a.example.com", 1));
        using var call = _ads.Client.StreamAggregatedResources();
        var node = AdsHarness.Node();
        node.Locality = new Envoy.Config.Core.V3.Locality { Region = "us-east", Zone = "zone1", SubZone = "rack2" };

        await call.RequestStream.WriteAsync(new DiscoveryRequest { Node = node, TypeUrl = TypeUrls.Cluster });
        await _ads.NextAsync(call.ResponseStream);

        Assert.Equal(new Meshwork.Pilot.Model.WorkloadLocality("us-east", "zone1", "rack2"), Assert.Single(_ads.Server.Connections).Proxy.Locality);
    }
}
