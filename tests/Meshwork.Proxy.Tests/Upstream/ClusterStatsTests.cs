using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Meshwork.Proxy.Upstream;
using static Meshwork.Proxy.Tests.Upstream.UpstreamTestClusters;

namespace Meshwork.Proxy.Tests.Upstream;

public class ClusterStatsTests
{
    [Fact]
    public void Enumerate_AfterResponses_ListsEnvoyNamesWithClassAndCodeCounts()
    {
        var stats = new ClusterStats();

        stats.RecordResponse(200);
        stats.RecordResponse(503);
        stats.RecordResponse(503);

        var all = stats.Enumerate().ToDictionary(s => s.Name, s => s.Value);
        Assert.Equal(1, all["upstream_rq_2xx"]);
        Assert.Equal(2, all["upstream_rq_5xx"]);
        Assert.Equal(2, all["upstream_rq_503"]);
        Assert.False(all.ContainsKey("upstream_rq_404"));
        foreach (var name in new[]
        {
            "upstream_rq_total", "upstream_rq_active", "upstream_rq_retry", "upstream_rq_retry_success", "upstream_rq_retry_overflow",
            "upstream_rq_pending_overflow", "upstream_rq_timeout", "upstream_rq_per_try_timeout", "upstream_cx_connect_fail", "upstream_cx_total",
            "upstream_cx_active", "upstream_cx_destroy", "outlier_detection.ejections_active", "outlier_detection.ejections_enforced_total",
            "outlier_detection.ejections_consecutive_5xx", "membership_total", "membership_healthy",
        })
        {
            Assert.True(all.ContainsKey(name), name);
        }
    }

    [Fact]
    public void DescribeEndpoints_ShowsWeightLocalityHealthFlagsAndCounts()
    {
        var (set, _) = NewSet();
        var cluster = Eds("c");
        cluster.OutlierDetection = new OutlierDetection { Consecutive5Xx = 1, MaxEjectionPercent = 100 };
        var assignment = new Envoy.Config.Endpoint.V3.ClusterLoadAssignment
        {
            ClusterName = "c",
            Endpoints = { Locality("z1", 1, 0, Host("10.0.0.1", weight: 3), Host("10.0.0.2", health: HealthStatus.Unhealthy)) },
        };
        var upstream = set.ApplyOne(cluster, assignment);
        var first = upstream.Endpoints[0];
        using (first.StartRequest())
        {
            first.ReportOutcome(UpstreamOutcome.Http5xx(503));
        }

        var lines = upstream.DescribeEndpoints().ToDictionary(e => e.Address);

        Assert.Equal(new EndpointInfo("10.0.0.1:80", 3, "r/z1/", 0, "/failed_outlier_check", 0, 1, 1, 0), lines["10.0.0.1:80"]);
        Assert.Equal("/failed_eds_health", lines["10.0.0.2:80"].HealthFlags);
        Assert.Equal(2, upstream.Stats.MembershipTotal);
        Assert.Equal(0, upstream.Stats.MembershipHealthy);
    }

    [Fact]
    public void OriginalDst_UnusedHostsAreSweptAfterTheCleanupInterval()
    {
        var (set, time) = NewSet();
        var upstream = set.ApplyOne(new Cluster { Name = "PassthroughCluster", Type = Cluster.Types.DiscoveryType.OriginalDst, LbPolicy = Cluster.Types.LbPolicy.ClusterProvided });
        var busy = upstream.Pick(new PickContext(OriginalHost: "10.0.0.1", OriginalPort: 80))!;
        upstream.Pick(new PickContext(OriginalHost: "10.0.0.2", OriginalPort: 80));
        using var lease = busy.StartRequest();

        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(2, upstream.DescribeEndpoints().Count());
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(["10.0.0.1:80"], upstream.DescribeEndpoints().Select(e => e.Address));
    }
}
