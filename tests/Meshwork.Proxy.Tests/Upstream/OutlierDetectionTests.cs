using Envoy.Config.Cluster.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Proxy.Upstream;
using Microsoft.Extensions.Time.Testing;
using static Meshwork.Proxy.Tests.Upstream.UpstreamTestClusters;

namespace Meshwork.Proxy.Tests.Upstream;

public class OutlierDetectionTests
{
    private static (UpstreamCluster Cluster, FakeTimeProvider Time, ClusterSet Set) Detecting(OutlierDetection outlier, int hosts = 2)
    {
        var (set, time) = NewSet();
        var cluster = Eds("c");
        cluster.OutlierDetection = outlier;
        var upstream = set.ApplyOne(cluster, Assignment("c", Enumerable.Range(1, hosts).Select(i => Host("10.0.0." + i)).ToArray()));
        return (upstream, time, set);
    }

    private static OutlierDetection Istio(uint consecutive5xx = 3, uint maxPercent = 100) => new()
    {
        Consecutive5Xx = consecutive5xx,
        EnforcingConsecutive5Xx = 100,
        Interval = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)),
        BaseEjectionTime = Duration.FromTimeSpan(TimeSpan.FromSeconds(30)),
        MaxEjectionPercent = maxPercent,
        EnforcingSuccessRate = 0,
    };

    private static void Fail(UpstreamEndpoint endpoint, int times, UpstreamOutcome? outcome = null)
    {
        for (var i = 0; i < times; i++)
        {
            endpoint.ReportOutcome(outcome ?? UpstreamOutcome.Http5xx(500));
        }
    }

    [Fact]
    public void ReportOutcome_Consecutive5xx_EjectsAndPickSkipsTheHost()
    {
        var (cluster, _, _) = Detecting(Istio());
        var bad = cluster.Endpoints[0];

        Fail(bad, 3);

        Assert.True(bad.IsEjected);
        Assert.Equal([cluster.Endpoints[1].Address], Distribution(cluster, 10).Keys);
        Assert.Equal(1, cluster.Stats.OutlierEjectionsActive);
        Assert.Equal(1, cluster.Stats.OutlierEjectionsEnforcedTotal);
        Assert.Contains(cluster.DescribeEndpoints(), e => e.Address == bad.Address && e.HealthFlags == "/failed_outlier_check");
        Assert.Equal(1, cluster.Stats.MembershipHealthy);
    }

    [Fact]
    public void ReportOutcome_SuccessBetweenErrors_ResetsTheCount()
    {
        var (cluster, _, _) = Detecting(Istio());
        var host = cluster.Endpoints[0];

        Fail(host, 2);
        host.ReportOutcome(UpstreamOutcome.Success);
        Fail(host, 2);

        Assert.False(host.IsEjected);
    }

    [Fact]
    public void Interval_AfterEjectionTime_UnejectsAndLaterEjectionsLastLonger()
    {
        var (cluster, time, _) = Detecting(Istio());
        var host = cluster.Endpoints[0];

        Fail(host, 3);
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.True(host.IsEjected);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(host.IsEjected);
        Assert.Equal(2, Distribution(cluster, 10).Count);

        // Second ejection: 2 × 30 s.
        Fail(host, 3);
        time.Advance(TimeSpan.FromSeconds(50));
        Assert.True(host.IsEjected);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(host.IsEjected);
        Assert.Equal(0, cluster.Stats.OutlierEjectionsActive);
    }

    [Fact]
    public void ReportOutcome_BeyondMaxEjectionPercent_DoesNotEject()
    {
        var (cluster, _, _) = Detecting(Istio(maxPercent: 50), hosts: 4);

        Fail(cluster.Endpoints[0], 3);
        Fail(cluster.Endpoints[1], 3);
        Fail(cluster.Endpoints[2], 3);

        Assert.Equal(2, cluster.Endpoints.Count(e => e.IsEjected));
        Assert.Equal(1, cluster.Stats.OutlierEjectionsOverflow);
    }

    [Fact]
    public void ReportOutcome_EnvoyDefaultMaxPercentWithTwoHosts_NeverEjects()
    {
        var outlier = Istio();
        outlier.MaxEjectionPercent = null;
        var (cluster, _, _) = Detecting(outlier);

        Fail(cluster.Endpoints[0], 10);

        Assert.False(cluster.Endpoints[0].IsEjected);
    }

    [Fact]
    public void ReportOutcome_GatewayErrors_EjectOnlyWhenEnforced()
    {
        var outlier = Istio(consecutive5xx: 0);
        outlier.EnforcingConsecutive5Xx = 0;
        outlier.ConsecutiveGatewayFailure = 2;
        outlier.EnforcingConsecutiveGatewayFailure = 100;
        var (cluster, _, _) = Detecting(outlier);

        Fail(cluster.Endpoints[0], 2, UpstreamOutcome.Http5xx(500));
        Assert.False(cluster.Endpoints[0].IsEjected);
        Fail(cluster.Endpoints[0], 2, UpstreamOutcome.ConnectFailure);
        Assert.True(cluster.Endpoints[0].IsEjected);
    }

    [Fact]
    public void ReportOutcome_SplitLocalOrigin_CountsConnectFailuresSeparately()
    {
        var outlier = Istio();
        outlier.SplitExternalLocalOriginErrors = true;
        outlier.ConsecutiveLocalOriginFailure = 2;
        outlier.EnforcingConsecutiveLocalOriginFailure = 100;
        var (cluster, _, _) = Detecting(outlier);
        var host = cluster.Endpoints[0];

        Fail(host, 2, UpstreamOutcome.Http5xx(500));
        host.ReportOutcome(UpstreamOutcome.Timeout);
        Assert.False(host.IsEjected);
        host.ReportOutcome(UpstreamOutcome.Reset);
        Assert.True(host.IsEjected);
    }

    [Fact]
    public void ReportOutcome_EnforcingZero_DetectsWithoutEjecting()
    {
        var outlier = Istio();
        outlier.EnforcingConsecutive5Xx = 0;
        var (cluster, _, _) = Detecting(outlier);

        Fail(cluster.Endpoints[0], 3);

        Assert.False(cluster.Endpoints[0].IsEjected);
        Assert.Contains(cluster.Stats.Enumerate(), s => s is ("outlier_detection.ejections_detected_consecutive_5xx", 1));
    }
}
