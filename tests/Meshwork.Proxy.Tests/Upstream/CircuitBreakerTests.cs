using Envoy.Config.Cluster.V3;
using Meshwork.Proxy.Upstream;
using static Meshwork.Proxy.Tests.Upstream.UpstreamTestClusters;
using Thresholds = Envoy.Config.Cluster.V3.CircuitBreakers.Types.Thresholds;

namespace Meshwork.Proxy.Tests.Upstream;

public class CircuitBreakerTests
{
    private static UpstreamCluster WithThresholds(Thresholds thresholds)
    {
        var (set, _) = NewSet();
        var cluster = Eds("c");
        cluster.CircuitBreakers = new CircuitBreakers { Thresholds = { thresholds } };
        return set.ApplyOne(cluster, Assignment("c", Host("10.0.0.1")));
    }

    [Fact]
    public void TryStartRequest_AtMaxRequests_OverflowsAndCounts()
    {
        var cluster = WithThresholds(new Thresholds { MaxRequests = 2, MaxConnections = 100 });

        Assert.True(cluster.TryStartRequest(out var first));
        Assert.True(cluster.TryStartRequest(out var second));
        Assert.False(cluster.TryStartRequest(out _));
        Assert.Equal(1, cluster.Stats.UpstreamRqPendingOverflow);
        Assert.Equal(2, cluster.Stats.UpstreamRqActive);

        first.Dispose();
        first.Dispose();
        Assert.Equal(1, cluster.Stats.UpstreamRqActive);
        Assert.True(cluster.TryStartRequest(out var third));
        second.Dispose();
        third.Dispose();
        Assert.Equal(0, cluster.Stats.UpstreamRqActive);
        Assert.Equal(3, cluster.Stats.UpstreamRqTotal);
    }

    [Fact]
    public void TryStartRequest_Http1BeyondConnectionsAndPending_Overflows()
    {
        var cluster = WithThresholds(new Thresholds { MaxConnections = 1, MaxPendingRequests = 1, MaxRequests = 100 });

        Assert.True(cluster.TryStartRequest(out _));
        Assert.True(cluster.TryStartRequest(out _));
        Assert.Equal(1, cluster.Stats.UpstreamRqPendingActive);
        Assert.False(cluster.TryStartRequest(out _));
        Assert.Equal(1, cluster.Stats.UpstreamRqPendingOverflow);
    }

    [Fact]
    public void TryStartRequest_UnsetThresholds_UseEnvoyDefaults()
    {
        var (set, _) = NewSet();
        var cluster = set.ApplyOne(Eds("c"), Assignment("c", Host("10.0.0.1")));

        for (var i = 0; i < 1024; i++)
        {
            Assert.True(cluster.TryStartRequest(out _));
        }

        Assert.False(cluster.TryStartRequest(out _));
    }

    [Fact]
    public void TryStartRetry_AtMaxRetries_OverflowsUntilARetryEnds()
    {
        var cluster = WithThresholds(new Thresholds { MaxRetries = 1 });

        Assert.True(cluster.TryStartRetry());
        Assert.False(cluster.TryStartRetry());
        cluster.EndRetry();
        Assert.True(cluster.TryStartRetry());
        Assert.Equal(2, cluster.Stats.UpstreamRqRetry);
        Assert.Equal(1, cluster.Stats.UpstreamRqRetryOverflow);
    }

    [Fact]
    public void TryStartRetry_WithRetryBudget_AllowsAtLeastMinConcurrency()
    {
        var cluster = WithThresholds(new Thresholds
        {
            MaxRetries = 0,
            RetryBudget = new Thresholds.Types.RetryBudget { BudgetPercent = new Envoy.Type.V3.Percent { Value = 20 }, MinRetryConcurrency = 2 },
        });

        Assert.True(cluster.TryStartRetry());
        Assert.True(cluster.TryStartRetry());
        Assert.False(cluster.TryStartRetry());
    }
}
