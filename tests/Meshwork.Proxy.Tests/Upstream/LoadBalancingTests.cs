using Meshwork.Proxy.Hashing;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Meshwork.Proxy.Upstream;
using static Meshwork.Proxy.Tests.Upstream.UpstreamTestClusters;
using LbPolicy = Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy;

namespace Meshwork.Proxy.Tests.Upstream;

public class LoadBalancingTests
{
    [Fact]
    public void Pick_RoundRobinWithWeights_FollowsTheEarliestDeadlineSchedule()
    {
        var (set, _) = NewSet(options: new UpstreamOptions());
        var cluster = set.ApplyOne(Eds("c"), Assignment("c", Host("10.0.0.1", weight: 3), Host("10.0.0.2", weight: 1), Host("10.0.0.3", weight: 2)));

        var picks = Enumerable.Range(0, 12).Select(_ => cluster.Pick(default)!.Host[^1..]).ToList();

        // One cycle is 6 picks: host 1 three times, host 3 twice, host 2 once, interleaved; then it repeats.
        var cycle = string.Concat(picks.Take(6));
        Assert.Equal(cycle, string.Concat(picks.Skip(6)));
        Assert.Equal(3, cycle.Count(c => c == '1'));
        Assert.Equal(2, cycle.Count(c => c == '3'));
        Assert.Equal(1, cycle.Count(c => c == '2'));
        Assert.DoesNotContain("111", cycle + cycle);
    }

    [Fact]
    public void WeightedSchedule_KnownWeights_GivesExactSequence()
    {
        Assert.Equal([0, 0, 1, 0, 0, 1, 2], HostPicker.WeightedSchedule([4, 2, 1]));
        Assert.Equal([0, 0, 1], HostPicker.WeightedSchedule([20, 10]));
        Assert.Equal([0, 1, 2], HostPicker.WeightedSchedule([5, 5, 5]));
    }

    [Fact]
    public void Pick_LeastRequest_PrefersTheLessLoadedHost()
    {
        var (set, _) = NewSet();
        var cluster = set.ApplyOne(Eds("c", LbPolicy.LeastRequest), Assignment("c", Host("10.0.0.1"), Host("10.0.0.2")));
        var busy = cluster.Endpoints.Single(e => e.Host == "10.0.0.1");
        var leases = Enumerable.Range(0, 5).Select(_ => busy.StartRequest()).ToList();

        var counts = Distribution(cluster, 1000);

        // Two random choices: the idle host wins whenever it is drawn (3 of 4 draws), the busy one only when drawn twice.
        Assert.InRange(counts["10.0.0.2:80"], 700, 800);
        leases.ForEach(l => l.Dispose());
        Assert.Equal(0, busy.ActiveRequests);
    }

    [Fact]
    public void Pick_Random_SpreadsUniformlyWithASeededSource()
    {
        var (set, _) = NewSet(seed: 7);
        var cluster = set.ApplyOne(Eds("c", LbPolicy.Random), Assignment("c", Host("10.0.0.1"), Host("10.0.0.2"), Host("10.0.0.3")));

        var counts = Distribution(cluster, 3000);

        Assert.All(counts.Values, c => Assert.InRange(c, 900, 1100));
    }

    [Theory]
    [InlineData(LbPolicy.RingHash)]
    [InlineData(LbPolicy.Maglev)]
    public void Pick_ConsistentHash_SameHashSameHostAndMinimalDisruptionOnRemoval(LbPolicy policy)
    {
        var (set, _) = NewSet();
        var hosts = Enumerable.Range(1, 5).Select(i => Host("10.0.0." + i)).ToArray();
        var cluster = set.ApplyOne(Eds("c", policy), Assignment("c", hosts));
        var keys = Enumerable.Range(0, 2000).Select(i => StableHash.Hash("key" + i)).ToArray();
        var before = keys.Select(k => cluster.Pick(new PickContext(Hash: k))!.Address).ToArray();

        Assert.Equal(before, keys.Select(k => cluster.Pick(new PickContext(Hash: k))!.Address));
        Assert.Equal(5, before.Distinct().Count());

        set.ApplyOne(Eds("c", policy), Assignment("c", hosts.Take(4).ToArray()));
        var after = keys.Select(k => cluster.Pick(new PickContext(Hash: k))!.Address).ToArray();

        var moved = keys.Where((_, i) => before[i] != after[i] && before[i] != "10.0.0.5:80").Count();
        Assert.DoesNotContain("10.0.0.5:80", after);
        // Envoy's ring keeps min_ring_size entries, so the four survivors each gain a few entries (205 → 256): about a tenth of the other keys move, not a reshuffle.
        Assert.True(moved < keys.Length / 8, $"{moved} keys moved that were not on the removed host");
    }

    [Fact]
    public void Pick_RingHashWithWeights_SharesKeysInProportion()
    {
        var (set, _) = NewSet();
        var cluster = Eds("c", LbPolicy.RingHash);
        cluster.RingHashLbConfig = new Cluster.Types.RingHashLbConfig { MinimumRingSize = 4096 };
        var upstream = set.ApplyOne(cluster, Assignment("c", Host("10.0.0.1", weight: 1), Host("10.0.0.2", weight: 3)));

        var counts = Distribution(upstream, 4000, i => new PickContext(Hash: StableHash.Hash("k" + i)));

        // The lighter host gets 4096 entries, the heavier 12288: about a quarter of the keys.
        Assert.InRange(counts["10.0.0.1:80"], 850, 1150);
    }

    [Fact]
    public void StableHash_KnownVectors_Match()
    {
        Assert.Equal(0xEF46DB3751D8E999UL, StableHash.Hash(string.Empty));
        Assert.Equal(0xD24EC4F1A98C6E5BUL, StableHash.Hash("a"));
        Assert.Equal(0x44BC2CF5AD770999UL, StableHash.Hash("abc"));
    }

    [Fact]
    public void Pick_BelowPanicThreshold_BalancesOverAllHosts()
    {
        var (set, _) = NewSet();
        var assignment = Assignment("c", Host("10.0.0.1"), Host("10.0.0.2", health: HealthStatus.Unhealthy), Host("10.0.0.3", health: HealthStatus.Unhealthy));
        var cluster = set.ApplyOne(Eds("c"), assignment);

        Assert.Equal(3, Distribution(cluster, 30).Count);
    }

    [Fact]
    public void Pick_PanicDisabled_UsesOnlyHealthyHostsAndNoneWhenAllAreUnhealthy()
    {
        var (set, _) = NewSet();
        var cluster = Eds("c");
        cluster.CommonLbConfig = new Cluster.Types.CommonLbConfig { HealthyPanicThreshold = new Envoy.Type.V3.Percent { Value = 0 } };
        var upstream = set.ApplyOne(cluster, Assignment("c", Host("10.0.0.1"), Host("10.0.0.2", health: HealthStatus.Unhealthy)));
        Assert.Equal(["10.0.0.1:80"], Distribution(upstream, 10).Keys);

        set.ApplyOne(cluster, Assignment("c", Host("10.0.0.2", health: HealthStatus.Unhealthy)));
        Assert.Null(upstream.Pick(default));
    }

    [Fact]
    public void Pick_PriorityLevels_FailOverAndSpillByOverprovisionedHealth()
    {
        var (set, _) = NewSet();
        var assignment = new ClusterLoadAssignment
        {
            ClusterName = "c",
            Endpoints =
            {
                Locality("a", 1, 0, Host("10.0.0.1"), Host("10.0.0.2", health: HealthStatus.Unhealthy)),
                Locality("b", 1, 1, Host("10.0.1.1")),
            },
        };
        var cluster = set.ApplyOne(Eds("c"), assignment);

        // P0 is half healthy: 50 % × 1.4 = 70 % of the load stays there, 30 % spills to P1.
        Assert.Equal([70, 30], cluster.Selection.PriorityLoad);
        var counts = Distribution(cluster, 1000);
        Assert.InRange(counts["10.0.0.1:80"], 650, 750);
        Assert.InRange(counts["10.0.1.1:80"], 250, 350);

        var degraded = assignment.Clone();
        degraded.Endpoints[0].LbEndpoints[0].HealthStatus = HealthStatus.Unhealthy;
        set.ApplyOne(Eds("c"), degraded);
        Assert.Equal(["10.0.1.1:80"], Distribution(cluster, 20).Keys);
    }

    [Fact]
    public void Pick_LocalityWeighted_SplitsByLocalityWeight()
    {
        var (set, _) = NewSet();
        var cluster = Eds("c");
        cluster.CommonLbConfig = new Cluster.Types.CommonLbConfig { LocalityWeightedLbConfig = new() };
        var assignment = new ClusterLoadAssignment
        {
            ClusterName = "c",
            Endpoints = { Locality("a", 80, 0, Host("10.0.0.1"), Host("10.0.0.2")), Locality("b", 20, 0, Host("10.0.1.1")) },
        };
        var upstream = set.ApplyOne(cluster, assignment);

        var counts = Distribution(upstream, 1000);

        Assert.Equal(200, counts["10.0.1.1:80"]);
        Assert.Equal(400, counts["10.0.0.1:80"]);
    }

    [Fact]
    public void Pick_WithHostsToAvoid_PicksAnotherHost()
    {
        var (set, _) = NewSet();
        var cluster = set.ApplyOne(Eds("c", LbPolicy.RingHash), Assignment("c", Host("10.0.0.1"), Host("10.0.0.2")));
        var first = cluster.Pick(new PickContext(Hash: 42))!;

        var retry = cluster.Pick(new PickContext(Hash: 42, Avoid: [first]))!;

        Assert.NotEqual(first.Address, retry.Address);
    }

    [Fact]
    public void Pick_LevelBelowPanicWhileAnotherLevelTakesTheRest_StaysOnHealthyHosts()
    {
        var (set, _) = NewSet();
        var assignment = new ClusterLoadAssignment
        {
            ClusterName = "c",
            Endpoints =
            {
                Locality("a", 1, 0, Host("10.0.0.1"), Host("10.0.0.2", health: HealthStatus.Unhealthy), Host("10.0.0.3", health: HealthStatus.Unhealthy), Host("10.0.0.4", health: HealthStatus.Unhealthy)),
                Locality("b", 1, 1, Host("10.0.1.1")),
            },
        };

        var cluster = set.ApplyOne(Eds("c"), assignment);

        // P0 is 25 % healthy (below the 50 % threshold) but P1 takes the remaining 65 %: no panic, as in Envoy.
        Assert.Equal([35, 65], cluster.Selection.PriorityLoad);
        Assert.Equal(["10.0.0.1:80", "10.0.1.1:80"], Distribution(cluster, 200).Keys.Order());
    }

    [Fact]
    public void Pick_NoHealthyHostAnywhere_PanicsOverAllHostsByCount()
    {
        var (set, _) = NewSet();
        var assignment = new ClusterLoadAssignment
        {
            ClusterName = "c",
            Endpoints =
            {
                Locality("a", 1, 0, Host("10.0.0.1", health: HealthStatus.Unhealthy), Host("10.0.0.2", health: HealthStatus.Unhealthy), Host("10.0.0.3", health: HealthStatus.Unhealthy)),
                Locality("b", 1, 1, Host("10.0.1.1", health: HealthStatus.Draining)),
            },
        };

        var cluster = set.ApplyOne(Eds("c"), assignment);

        Assert.Equal([75, 25], cluster.Selection.PriorityLoad);
        Assert.Equal(4, Distribution(cluster, 400).Count);
    }

    [Fact]
    public void Pick_LocalityWeightedWithADegradedLocality_ScalesItsWeightByAvailability()
    {
        var (set, _) = NewSet();
        var cluster = Eds("c");
        cluster.CommonLbConfig = new Cluster.Types.CommonLbConfig { LocalityWeightedLbConfig = new() };
        var assignment = new ClusterLoadAssignment
        {
            ClusterName = "c",
            Endpoints =
            {
                Locality("a", 50, 0, Host("10.0.0.1"), Host("10.0.0.2", health: HealthStatus.Unhealthy), Host("10.0.0.3", health: HealthStatus.Unhealthy), Host("10.0.0.4", health: HealthStatus.Unhealthy)),
                Locality("b", 50, 0, Host("10.0.1.1"), Host("10.0.1.2"), Host("10.0.1.3")),
            },
        };
        var upstream = set.ApplyOne(cluster, assignment);

        var counts = Distribution(upstream, 1350);

        // 4 of 7 hosts healthy: no panic. Locality a: 50 × min(1, 1.4 × 1/4) = 17.5 against b's 50.
        Assert.Equal(350, counts["10.0.0.1:80"]);
        Assert.Equal(1000, counts.Where(c => c.Key.StartsWith("10.0.1.", StringComparison.Ordinal)).Sum(c => c.Value));
    }

    [Fact]
    public void Pick_SlowStart_RampsANewHostsWeightOverTheWindow()
    {
        var (set, time) = NewSet();
        var cluster = Eds("c");
        cluster.RoundRobinLbConfig = new Cluster.Types.RoundRobinLbConfig
        {
            SlowStartConfig = new Cluster.Types.SlowStartConfig { SlowStartWindow = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(10)) },
        };
        var upstream = set.ApplyOne(cluster, Assignment("c", Host("10.0.0.1"), Host("10.0.0.2")));
        time.Advance(TimeSpan.FromMinutes(1));

        set.ApplyOne(cluster, Assignment("c", Host("10.0.0.1"), Host("10.0.0.2"), Host("10.0.0.3")));

        // New host at the 10 % floor, then half weight halfway through, then full weight.
        Assert.Equal(10, Distribution(upstream, 210)["10.0.0.3:80"]);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(42, Distribution(upstream, 210)["10.0.0.3:80"]);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(70, Distribution(upstream, 210)["10.0.0.3:80"]);
    }
}
