using Meshwork.Config.Store;
using Meshwork.Config.Validation;
using Meshwork.Registry.AutoRegistration;
using Meshwork.Registry.Model;
using Meshwork.Registry.Publishing;
using Meshwork.Registry.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Meshwork.Registry.Tests.Publishing;

public sealed class MeshRegistryTests : IDisposable
{
    private const string ReviewsHost = "reviews.bookinfo.svc.cluster.local";

    private const string Reviews = """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: reviews, namespace: bookinfo}
        spec:
          hosts: [reviews.bookinfo.svc.cluster.local]
          ports: [{number: 9080, name: http, protocol: HTTP}]
          location: MESH_INTERNAL
          resolution: STATIC
          workloadSelector: {labels: {app: reviews}}
        """;

    private readonly FakeTimeProvider _clock = new();
    private readonly WorkloadRegistry _workloads;
    private readonly MeshRegistry _registry;
    private readonly List<RegistryChange> _changes = [];

    public MeshRegistryTests()
    {
        _workloads = new WorkloadRegistry(_clock);
        _registry = new MeshRegistry(_workloads);
        _registry.Subscribe(_changes.Add);
    }

    public void Dispose()
    {
        _registry.Dispose();
        _workloads.Dispose();
    }

    private static ProxyRegistration ReviewsProxy(string version = "v1", string address = "127.0.0.11") =>
        TestConfig.Proxy($"reviews-{version}", address, $"app=reviews,version={version}", "bookinfo");

    [Fact]
    public void UpdateConfig_NewServiceEntry_ServicesChanged()
    {
        var change = _registry.UpdateConfig(TestConfig.Snapshot(Reviews));

        Assert.Equal([ReviewsHost], change.ServicesChanged);
        Assert.Empty(change.EndpointsChanged);
        Assert.False(change.IsEndpointOnly);
        Assert.Same(change.Current, _registry.Current);
        Assert.Equal(1, _registry.Current.Version);
        Assert.Single(_changes);
    }

    [Fact]
    public void Connect_SelectedWorkload_EndpointOnlyChange()
    {
        _registry.UpdateConfig(TestConfig.Snapshot(Reviews));

        _workloads.Connect(ReviewsProxy());

        var change = _changes[^1];
        Assert.True(change.IsEndpointOnly);
        Assert.Empty(change.ServicesChanged);
        Assert.Equal([new EndpointKey(ReviewsHost, 9080)], change.EndpointsChanged);
        Assert.Equal([ReviewsProxy().Key], change.WorkloadsChanged);
        Assert.Equal(["127.0.0.11"], _registry.Current.EndpointsFor(ReviewsHost, 9080).Select(e => e.Address));
    }

    [Fact]
    public void Connect_UnselectedWorkload_NoServiceOrEndpointChange()
    {
        _registry.UpdateConfig(TestConfig.Snapshot(Reviews));

        _workloads.Connect(TestConfig.Proxy("ratings-v1", "127.0.0.20", "app=ratings", "bookinfo"));

        var change = _changes[^1];
        Assert.Empty(change.ServicesChanged);
        Assert.Empty(change.EndpointsChanged);
        Assert.False(change.IsEndpointOnly);
        Assert.Single(change.WorkloadsChanged);
        Assert.Contains(_registry.Current.Workloads, w => w.Name == "ratings-v1");
    }

    [Fact]
    public void Disconnect_AfterGrace_EndpointOnlyChange()
    {
        _registry.UpdateConfig(TestConfig.Snapshot(Reviews));
        _workloads.Connect(ReviewsProxy("v1"));
        _workloads.Connect(ReviewsProxy("v2", "127.0.0.12")).Dispose();
        var published = _changes.Count;

        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(published, _changes.Count);
        _clock.Advance(TimeSpan.FromSeconds(5));

        var change = _changes[^1];
        Assert.True(change.IsEndpointOnly);
        Assert.Equal([new EndpointKey(ReviewsHost, 9080)], change.EndpointsChanged);
        Assert.Equal(["127.0.0.11"], _registry.Current.EndpointsFor(ReviewsHost, 9080).Select(e => e.Address));
    }

    [Fact]
    public void UpdateConfig_PortAdded_ServiceAndNewEndpointsChanged()
    {
        _registry.UpdateConfig(TestConfig.Snapshot(Reviews));
        _workloads.Connect(ReviewsProxy());

        var change = _registry.UpdateConfig(TestConfig.Snapshot(Reviews.Replace(
            "ports: [{number: 9080, name: http, protocol: HTTP}]",
            "ports: [{number: 9080, name: http, protocol: HTTP}, {number: 9443, name: grpc, protocol: GRPC}]")));

        Assert.Equal([ReviewsHost], change.ServicesChanged);
        Assert.Equal([new EndpointKey(ReviewsHost, 9443)], change.EndpointsChanged);
    }

    [Fact]
    public void UpdateConfig_SelectorNarrowed_EndpointOnlyWhenOnlyTheEndpointsMove()
    {
        _registry.UpdateConfig(TestConfig.Snapshot(Reviews));
        _workloads.Connect(ReviewsProxy("v1"));
        _workloads.Connect(ReviewsProxy("v2", "127.0.0.12"));

        var change = _registry.UpdateConfig(TestConfig.Snapshot(Reviews.Replace("{app: reviews}", "{app: reviews, version: v2}")));

        // The selector is part of the service's definition, so the service changed as well.
        Assert.Equal([ReviewsHost], change.ServicesChanged);
        Assert.Equal(["127.0.0.12"], _registry.Current.EndpointsFor(ReviewsHost, 9080).Select(e => e.Address));
    }

    [Fact]
    public void UpdateConfig_ServiceEntryRemoved_ServiceAndEndpointsChanged()
    {
        _registry.UpdateConfig(TestConfig.Snapshot(Reviews));
        _workloads.Connect(ReviewsProxy());

        var change = _registry.UpdateConfig(ConfigSnapshot.Empty);

        Assert.Equal([ReviewsHost], change.ServicesChanged);
        Assert.Equal([new EndpointKey(ReviewsHost, 9080)], change.EndpointsChanged);
        Assert.Empty(_registry.Current.Services);
    }

    [Fact]
    public void Connect_WorkloadOfADnsService_AlsoAServiceChange()
    {
        _registry.UpdateConfig(TestConfig.Snapshot(Reviews.Replace("STATIC", "DNS")));

        _workloads.Connect(ReviewsProxy());

        var change = _changes[^1];
        Assert.Equal([ReviewsHost], change.ServicesChanged); // STRICT_DNS clusters carry their endpoints in CDS
        Assert.Equal([new EndpointKey(ReviewsHost, 9080)], change.EndpointsChanged);
        Assert.False(change.IsEndpointOnly);
    }

    [Fact]
    public void Connect_WorkloadOfAPassthroughService_AlsoAServiceChange()
    {
        _registry.UpdateConfig(TestConfig.Snapshot(Reviews.Replace("STATIC", "NONE")));

        _workloads.Connect(ReviewsProxy());

        Assert.Equal([ReviewsHost], _changes[^1].ServicesChanged); // clients send mTLS only when every endpoint has a sidecar
    }

    [Fact]
    public void Connect_NewServiceAccount_AlsoAServiceChange()
    {
        _registry.UpdateConfig(TestConfig.Snapshot(Reviews));
        _workloads.Connect(TestConfig.Proxy("reviews-v1", "127.0.0.11", "app=reviews", "bookinfo", serviceAccount: "reviews"));

        _workloads.Connect(TestConfig.Proxy("reviews-v2", "127.0.0.12", "app=reviews", "bookinfo", serviceAccount: "reviews-v2"));

        Assert.Equal([ReviewsHost], _changes[^1].ServicesChanged); // the SANs clients accept are in CDS
    }

    [Fact]
    public void Connect_KnownServiceAccount_EndpointOnlyChange()
    {
        _registry.UpdateConfig(TestConfig.Snapshot(Reviews));
        _workloads.Connect(TestConfig.Proxy("reviews-v1", "127.0.0.11", "app=reviews", "bookinfo", serviceAccount: "reviews"));

        _workloads.Connect(TestConfig.Proxy("reviews-v2", "127.0.0.12", "app=reviews", "bookinfo", serviceAccount: "reviews"));

        Assert.True(_changes[^1].IsEndpointOnly);
    }

    [Fact]
    public void UpdateConfig_UnrelatedResource_NothingPublished()
    {
        _registry.UpdateConfig(TestConfig.Snapshot(Reviews));
        var version = _registry.Current.Version;

        var change = _registry.UpdateConfig(TestConfig.Snapshot(Reviews + """

            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: bookinfo}
            spec:
              hosts: [reviews]
              http: [{route: [{destination: {host: reviews}}]}]
            """));

        Assert.True(change.IsEmpty);
        Assert.Equal(version, _registry.Current.Version);
        Assert.Single(_changes);
    }

    [Fact]
    public void Follow_ConfigStore_AppliesCurrentAndLaterConfig()
    {
        var store = new ConfigStore();
        store.ReplaceSource("dir", ConfigValidator.ValidateText(Reviews, TestConfig.File).Valid);

        using var following = _registry.Follow(store);
        Assert.Single(_registry.Current.Services);

        store.ReplaceSource("dir", []);
        Assert.Empty(_registry.Current.Services);
        Assert.Equal(2, _registry.Current.Version);
    }

    [Fact]
    public void Connect_FromManyThreads_LatestSnapshotHasEveryEndpoint()
    {
        _registry.UpdateConfig(TestConfig.Snapshot(Reviews));

        Parallel.For(0, 64, i => _workloads.Connect(ReviewsProxy($"v{i}", $"127.0.1.{i}")));

        Assert.Equal(64, _registry.Current.EndpointsFor(ReviewsHost, 9080).Length);
        Assert.Equal(64, _workloads.Current.Workloads.Count);
    }

    [Fact]
    public void Subscribe_Disposed_NoMoreChanges()
    {
        var seen = new List<RegistryChange>();
        var subscription = _registry.Subscribe(seen.Add);
        subscription.Dispose();

        _registry.UpdateConfig(TestConfig.Snapshot(Reviews));

        Assert.Empty(seen);
    }
}
