using Meshwork.Registry.AutoRegistration;
using Meshwork.Registry.Model;
using Meshwork.Registry.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Meshwork.Registry.Tests.AutoRegistration;

public class WorkloadRegistryTests
{
    private readonly FakeTimeProvider _clock = new();
    private readonly List<WorkloadChange> _changes = [];

    private WorkloadRegistry Create(TimeSpan? grace = null)
    {
        var registry = new WorkloadRegistry(_clock, grace is { } g ? new WorkloadRegistryOptions { GracePeriod = g } : null);
        registry.Subscribe(_changes.Add);
        return registry;
    }

    private static ProxyRegistration Reviews(string labels = "app=reviews,version=v1") =>
        TestConfig.Proxy("reviews-v1", "127.0.0.11", labels, "bookinfo", ports: "http=9080", serviceAccount: "bookinfo-reviews");

    [Fact]
    public void Connect_NewProxy_RegistersItsWorkload()
    {
        using var registry = Create();

        registry.Connect(Reviews());

        var workload = Assert.Single(registry.Current.All);
        Assert.Equal(("reviews-v1", "bookinfo", "127.0.0.11"), (workload.Name, workload.Namespace, workload.Address));
        Assert.Equal("v1", workload.Labels["version"]);
        Assert.Equal(9080u, workload.Ports["http"]);
        Assert.Equal("bookinfo-reviews", workload.ServiceAccount);
        Assert.Equal(WorkloadSource.AutoRegistered, workload.Source);
        Assert.True(workload.HasSidecar);
        Assert.Equal(WorkloadHealth.Healthy, workload.Health);
        Assert.Equal([Reviews().Key], Assert.Single(_changes).Added);
        Assert.Equal(1, registry.Current.Version);
    }

    [Fact]
    public void Disconnect_LastConnection_WorkloadStaysForTheGracePeriodThenLeaves()
    {
        using var registry = Create();
        var connection = registry.Connect(Reviews());

        connection.Dispose();
        _clock.Advance(TimeSpan.FromSeconds(9.9));

        Assert.Single(registry.Current.All);
        Assert.Single(_changes);

        _clock.Advance(TimeSpan.FromSeconds(0.1));

        Assert.Empty(registry.Current.All);
        Assert.Equal([Reviews().Key], _changes[^1].Removed);
    }

    [Fact]
    public void Connect_WithinTheGracePeriod_CancelsTheRemoval()
    {
        using var registry = Create();
        registry.Connect(Reviews()).Dispose();
        _clock.Advance(TimeSpan.FromSeconds(5));

        registry.Connect(Reviews());
        _clock.Advance(TimeSpan.FromMinutes(1));

        Assert.Single(registry.Current.All);
        Assert.Single(_changes); // the rejoin changed nothing
    }

    [Fact]
    public void Disconnect_AfterARejoin_GracePeriodStartsAgain()
    {
        using var registry = Create();
        registry.Connect(Reviews()).Dispose();
        _clock.Advance(TimeSpan.FromSeconds(8));
        var second = registry.Connect(Reviews());

        second.Dispose();
        _clock.Advance(TimeSpan.FromSeconds(8)); // 16 s after the first drop, 8 s after the second

        Assert.Single(registry.Current.All);
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Empty(registry.Current.All);
    }

    [Fact]
    public void Disconnect_OneOfTwoConnections_WorkloadStays()
    {
        using var registry = Create();
        var first = registry.Connect(Reviews());
        registry.Connect(Reviews());

        first.Dispose();
        first.Dispose(); // a second dispose is not a second disconnection
        _clock.Advance(TimeSpan.FromMinutes(1));

        Assert.Single(registry.Current.All);
    }

    [Fact]
    public void Disconnect_ZeroGracePeriod_LeavesAtOnce()
    {
        using var registry = Create(TimeSpan.Zero);

        registry.Connect(Reviews()).Dispose();

        Assert.Empty(registry.Current.All);
        Assert.Equal(2, _changes.Count);
    }

    [Fact]
    public void Disconnect_ConfiguredGracePeriod_Honoured()
    {
        using var registry = Create(TimeSpan.FromSeconds(30));
        registry.Connect(Reviews()).Dispose();

        _clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Single(registry.Current.All);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(registry.Current.All);
    }

    [Fact]
    public void Connect_ChangedRegistration_UpdatesTheWorkload()
    {
        using var registry = Create();
        registry.Connect(Reviews());

        registry.Connect(Reviews("app=reviews,version=v2"));

        Assert.Equal("v2", registry.Current.All.Single().Labels["version"]);
        Assert.Equal([Reviews().Key], _changes[^1].Updated);
    }

    [Fact]
    public void Connect_SameProxyOnAnotherAddress_IsAnotherWorkload()
    {
        using var registry = Create();
        registry.Connect(Reviews()).Dispose();

        registry.Connect(Reviews() with { Address = "127.0.0.99" });
        _clock.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(["127.0.0.99"], registry.Current.All.Select(w => w.Address));
    }

    [Fact]
    public void ReportHealth_Unhealthy_WorkloadUpdated()
    {
        using var registry = Create();
        registry.Connect(Reviews());

        Assert.True(registry.ReportHealth(Reviews().Key, WorkloadHealth.Unhealthy));
        Assert.False(registry.ReportHealth(new WorkloadKey("x", "y", "z"), WorkloadHealth.Unhealthy));

        Assert.Equal(WorkloadHealth.Unhealthy, registry.Current.All.Single().Health);
        Assert.Equal(2, _changes.Count);
    }

    [Fact]
    public void Connect_TlsModeLabelDisabled_NoSidecarMtls()
    {
        using var registry = Create();

        registry.Connect(Reviews("app=reviews,security.istio.io/tlsMode=disabled"));

        Assert.Equal(EndpointTlsMode.Disabled, registry.Current.All.Single().TlsMode);
    }

    [Fact]
    public void Dispose_PendingRemovals_NeverFire()
    {
        var registry = Create();
        registry.Connect(Reviews()).Dispose();

        registry.Dispose();
        _clock.Advance(TimeSpan.FromMinutes(1));

        Assert.Single(registry.Current.All);
        Assert.Throws<ObjectDisposedException>(() => registry.Connect(Reviews()));
    }
}
