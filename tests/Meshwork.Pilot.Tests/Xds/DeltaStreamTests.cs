using Envoy.Config.Cluster.V3;
using Envoy.Service.Discovery.V3;
using Meshwork.Pilot.Push;
using Meshwork.Pilot.Xds;

namespace Meshwork.Pilot.Tests.Xds;

public sealed class DeltaStreamTests : IAsyncLifetime
{
    private AdsHarness _ads = null!;

    public async Task InitializeAsync() => _ads = await AdsHarness.StartAsync();

    public async Task DisposeAsync() => await _ads.DisposeAsync();

    private static DeltaDiscoveryRequest Ack(DeltaDiscoveryResponse response) => new() { TypeUrl = response.TypeUrl, ResponseNonce = response.Nonce };

    [Fact]
    public async Task WildcardCds_ThenOnlyChangesAndRemovals()
    {
        _ads.Clusters.Set(("a", 1), ("b", 2));
        using var call = _ads.Client.DeltaAggregatedResources();
        await call.RequestStream.WriteAsync(new DeltaDiscoveryRequest { Node = AdsHarness.Node(), TypeUrl = TypeUrls.Cluster });
        var first = await _ads.NextAsync(call.ResponseStream);
        Assert.Equal(["a", "b"], first.Resources.Select(r => r.Name));
        Assert.All(first.Resources, r => Assert.Equal(r.Name, r.Resource_.Unpack<Cluster>().Name));
        await call.RequestStream.WriteAsync(Ack(first));
        await _ads.WaitAckedAsync(first.TypeUrl, first.Nonce);

        _ads.Clusters.Set(("a", 1), ("b", 3), ("c", 4));
        _ads.Push(new PushRequest { Full = true });
        var second = await _ads.NextAsync(call.ResponseStream);
        Assert.Equal(["b", "c"], second.Resources.Select(r => r.Name));
        Assert.Empty(second.RemovedResources);
        await call.RequestStream.WriteAsync(Ack(second));
        await _ads.WaitAckedAsync(second.TypeUrl, second.Nonce);

        _ads.Clusters.Set(("b", 3), ("c", 4));
        _ads.Push(new PushRequest { Full = true });
        var third = await _ads.NextAsync(call.ResponseStream);
        Assert.Empty(third.Resources);
        Assert.Equal(["a"], third.RemovedResources);
    }

    [Fact]
    public async Task Reconnect_WithInitialVersions_DoesNotResendWhatTheProxyHas()
    {
        _ads.Clusters.Set(("a", 1), ("b", 2));
        string aVersion;
        using (var call = _ads.Client.DeltaAggregatedResources())
        {
            await call.RequestStream.WriteAsync(new DeltaDiscoveryRequest { Node = AdsHarness.Node(), TypeUrl = TypeUrls.Cluster });
            var first = await _ads.NextAsync(call.ResponseStream);
            aVersion = first.Resources.Single(r => r.Name == "a").Version;
        }

        using var again = _ads.Client.DeltaAggregatedResources();
        await again.RequestStream.WriteAsync(new DeltaDiscoveryRequest { Node = AdsHarness.Node(), TypeUrl = TypeUrls.Cluster, InitialResourceVersions = { ["a"] = aVersion } });
        var response = await _ads.NextAsync(again.ResponseStream);

        Assert.Equal(["b"], response.Resources.Select(r => r.Name));
    }

    [Fact]
    public async Task SubscribeAndUnsubscribe_ByName()
    {
        _ads.Endpoints.Set(("a", 1), ("b", 1));
        using var call = _ads.Client.DeltaAggregatedResources();
        await call.RequestStream.WriteAsync(new DeltaDiscoveryRequest { Node = AdsHarness.Node(), TypeUrl = TypeUrls.Endpoint, ResourceNamesSubscribe = { "a" } });
        var first = await _ads.NextAsync(call.ResponseStream);
        Assert.Equal(["a"], first.Resources.Select(r => r.Name));

        await call.RequestStream.WriteAsync(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Endpoint, ResponseNonce = first.Nonce, ResourceNamesSubscribe = { "b" }, ResourceNamesUnsubscribe = { "a" } });
        var second = await _ads.NextAsync(call.ResponseStream);
        Assert.Equal(["b"], second.Resources.Select(r => r.Name));

        await call.RequestStream.WriteAsync(Ack(second));

        await _ads.WaitAckedAsync(second.TypeUrl, second.Nonce);
        _ads.Endpoints.Set(("a", 5), ("b", 1));
        _ads.Push(PushRequest.ForEndpoints(["a"], DateTimeOffset.UtcNow));
        await _ads.AssertSilentAsync(call.ResponseStream);
    }

    [Fact]
    public async Task Resubscribe_AfterAnUnchangedPush_ResendsTheResource()
    {
        _ads.Endpoints.Set(("a", 1));
        using var call = _ads.Client.DeltaAggregatedResources();
        await call.RequestStream.WriteAsync(new DeltaDiscoveryRequest { Node = AdsHarness.Node(), TypeUrl = TypeUrls.Endpoint, ResourceNamesSubscribe = { "a" } });
        var first = await _ads.NextAsync(call.ResponseStream);
        await call.RequestStream.WriteAsync(Ack(first));
        await _ads.WaitAckedAsync(first.TypeUrl, first.Nonce);

        // The same output again: nothing to send, and the stream remembers it is in line with it.
        _ads.Push(new PushRequest { Full = true });
        await _ads.AssertSilentAsync(call.ResponseStream);

        await call.RequestStream.WriteAsync(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Endpoint, ResourceNamesUnsubscribe = { "a" } });
        await call.RequestStream.WriteAsync(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Endpoint, ResourceNamesSubscribe = { "a" } });
        var again = await _ads.NextAsync(call.ResponseStream);
        Assert.Equal(["a"], again.Resources.Select(r => r.Name));
    }

    [Fact]
    public async Task SameSubscription_OnTwoStreams_IsHeldOnceAndStaysEachStreamsOwn()
    {
        _ads.Endpoints.Set(("a", 1), ("b", 1));
        using var one = _ads.Client.DeltaAggregatedResources();
        using var two = _ads.Client.DeltaAggregatedResources();
        await one.RequestStream.WriteAsync(new DeltaDiscoveryRequest { Node = AdsHarness.Node("sidecar~10.0.0.1~one.shop~shop.svc.cluster.local"), TypeUrl = TypeUrls.Endpoint, ResourceNamesSubscribe = { "a", "b" } });
        await two.RequestStream.WriteAsync(new DeltaDiscoveryRequest { Node = AdsHarness.Node("sidecar~10.0.0.2~two.shop~shop.svc.cluster.local"), TypeUrl = TypeUrls.Endpoint, ResourceNamesSubscribe = { "b", "a" } });
        var first = await _ads.NextAsync(one.ResponseStream);
        Assert.Equal(["a", "b"], (await _ads.NextAsync(two.ResponseStream)).Resources.Select(r => r.Name));
        await one.RequestStream.WriteAsync(Ack(first));
        await _ads.WaitAckedAsync(first.TypeUrl, first.Nonce);

        // Both streams hold the one interned set (so the second found the first's output by reference).
        var watches = _ads.Server.Connections.Select(c => c.Watched[TypeUrls.Endpoint]).ToList();
        Assert.Same(watches[0].Names, watches[1].Names);

        // One stream unsubscribing changes its own subscription only.
        await one.RequestStream.WriteAsync(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Endpoint, ResourceNamesUnsubscribe = { "b" } });
        _ads.Endpoints.Set(("a", 2), ("b", 2));
        await WaitUntilAsync(() => _ads.Server.Connections.Count(c => c.Watched[TypeUrls.Endpoint].Names.Count == 1) == 1);
        _ads.Push(PushRequest.ForEndpoints(["a", "b"], DateTimeOffset.UtcNow));
        Assert.Equal(["a"], (await _ads.NextAsync(one.ResponseStream)).Resources.Select(r => r.Name));
        Assert.Equal(["a", "b"], (await _ads.NextAsync(two.ResponseStream)).Resources.Select(r => r.Name));
    }

    [Fact]
    public void ShareNames_ReplacesEachNameOfARequestByTheServersOneInstance()
    {
        // Two requests parsed apart hold equal names as distinct strings.
        var one = new DeltaDiscoveryRequest { ResourceNamesSubscribe = { new string("outbound|9080||a.shop.svc.cluster.local".AsSpan()), "b" } };
        var two = new DeltaDiscoveryRequest { ResourceNamesSubscribe = { new string("outbound|9080||a.shop.svc.cluster.local".AsSpan()) } };
        Assert.NotSame(one.ResourceNamesSubscribe[0], two.ResourceNamesSubscribe[0]);

        _ads.Server.ShareNames(one.ResourceNamesSubscribe);
        _ads.Server.ShareNames(two.ResourceNamesSubscribe);

        Assert.Same(one.ResourceNamesSubscribe[0], two.ResourceNamesSubscribe[0]);
        Assert.Equal(["outbound|9080||a.shop.svc.cluster.local", "b"], one.ResourceNamesSubscribe);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    [Fact]
    public async Task Nack_KeepsTheAckedStateAndIsRecorded()
    {
        _ads.Clusters.Set(("a", 1));
        using var call = _ads.Client.DeltaAggregatedResources();
        await call.RequestStream.WriteAsync(new DeltaDiscoveryRequest { Node = AdsHarness.Node(), TypeUrl = TypeUrls.Cluster });
        var first = await _ads.NextAsync(call.ResponseStream);

        await call.RequestStream.WriteAsync(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Cluster, ResponseNonce = first.Nonce, ErrorDetail = new Google.Rpc.Status { Code = 3, Message = "no thanks" } });
        Assert.Equal("no thanks", await _ads.WaitNackedAsync(TypeUrls.Cluster));
        await _ads.AssertSilentAsync(call.ResponseStream);
        Assert.Equal("no thanks", Assert.Single(_ads.Server.Connections).Watched[TypeUrls.Cluster].LastNack);
    }
}
