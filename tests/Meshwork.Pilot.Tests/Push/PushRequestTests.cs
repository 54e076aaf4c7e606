using Meshwork.Pilot.Model;
using Meshwork.Pilot.Push;
using Meshwork.Pilot.Xds;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Pilot.Tests.Push;

public sealed class PushRequestTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch;

    private static ProxyNode Sidecar(string ip) => ProxyNode.Parse($"sidecar~{ip}~w.shop~shop.svc.cluster.local", null, out _)!;

    [Fact]
    public void For_TheJoinedWorkloadsProxy_IsAFullPushOfEverything()
    {
        var request = PushRequest.ForWorkloads(["reviews.shop.svc.cluster.local"], ["127.0.0.11"], Now);

        var own = request.For(Sidecar("127.0.0.11"));

        Assert.True(own.Full);
        Assert.Empty(own.ConfigsUpdated);
        Assert.False(own.OnlyConfigsOfKinds(new HashSet<string> { "VirtualService" }));
    }

    [Fact]
    public void For_AnyOtherProxy_IsTheEndpointPushOnly()
    {
        var request = PushRequest.ForWorkloads(["reviews.shop.svc.cluster.local"], ["127.0.0.11"], Now);

        var other = request.For(Sidecar("127.0.0.12"));

        Assert.False(other.Full);
        Assert.Equal(["reviews.shop.svc.cluster.local"], other.EndpointsUpdated);
    }

    [Fact]
    public void Merge_TwoJoins_KeepsBothProxiesAndStaysIncremental()
    {
        var merged = PushRequest.ForWorkloads(["a"], ["127.0.0.11"], Now)
            .Merge(PushRequest.ForWorkloads(["b"], ["127.0.0.12"], Now.AddSeconds(1)));

        Assert.False(merged.Full);
        Assert.Equal(["127.0.0.11", "127.0.0.12"], merged.FullForProxiesAt.Order());
        Assert.True(merged.For(Sidecar("127.0.0.12")).Full);
        Assert.False(merged.For(Sidecar("127.0.0.13")).Full);
    }

    [Fact]
    public void Merge_WithAFullPush_IsFullForEveryone()
    {
        var merged = PushRequest.ForWorkloads(["a"], ["127.0.0.11"], Now).Merge(PushRequest.ForConfig(["VirtualService/shop/r"], Now));

        Assert.True(merged.For(Sidecar("127.0.0.13")).Full);
    }

    [Fact]
    public void DiscoveryServerPush_Join_QueuesFullOnlyForTheJoinedProxy()
    {
        var server = new DiscoveryServer([], NullLogger<DiscoveryServer>.Instance);
        var joined = server.Open(new Envoy.Config.Core.V3.Node { Id = "sidecar~127.0.0.11~reviews-v2.shop~shop.svc.cluster.local" }, delta: true, out _);
        var other = server.Open(new Envoy.Config.Core.V3.Node { Id = "sidecar~127.0.0.12~productpage.shop~shop.svc.cluster.local" }, delta: true, out _);

        server.Push(MeshSnapshot.Empty, PushRequest.ForWorkloads(["reviews.shop.svc.cluster.local"], ["127.0.0.11"], Now));

        Assert.True(joined.TakePush()!.Full);
        Assert.False(other.TakePush()!.Full);
    }
}
