using Meshwork.Pilot.Generators.LocalityLoadBalancing;
using Meshwork.Pilot.Model;
using static Meshwork.Pilot.Tests.Generators.LocalityLoadBalancing.LocalityAssignments;
using IstioLocalityFailover = Meshwork.Config.Networking.LocalityFailover;
using LocalityFailover = Meshwork.Pilot.Generators.LocalityLoadBalancing.LocalityFailover;

namespace Meshwork.Pilot.Tests.Generators.LocalityLoadBalancing;

public class LocalityFailoverTests
{
    private static readonly WorkloadLocality Proxy = WorkloadLocality.Parse("us-east/zone1/sub1");

    [Theory]
    [InlineData("us-east/zone1/sub1", 0u)]
    [InlineData("us-east/zone1/sub2", 1u)]
    [InlineData("us-east/zone1", 1u)]
    [InlineData("us-east/zone2/sub1", 2u)]
    [InlineData("us-west/zone1/sub1", 3u)]
    [InlineData("", 3u)]
    public void Proximity_EndpointLocality_RanksBySharedRegionZoneSubzone(string endpoint, uint expected) =>
        Assert.Equal(expected, LocalityFailover.Proximity(Proxy, WorkloadLocality.Parse(endpoint)));

    [Fact]
    public void Proximity_BothLocalitiesEmpty_IsSameSubzone() =>
        Assert.Equal(0u, LocalityFailover.Proximity(WorkloadLocality.Empty, WorkloadLocality.Empty));

    [Theory]
    [InlineData("us-west/zone9", 3u)]
    [InlineData("eu-west/zone1", 4u)]
    [InlineData("", 4u)]
    [InlineData("us-east/zone2", 2u)]
    public void Level_FailoverForProxyRegion_KeepsItsTargetAtThreeAndDropsOthersToFour(string endpoint, uint expected)
    {
        IstioLocalityFailover[] failover = [new() { From = "eu-west", To = "us-east" }, new() { From = "us-east", To = "us-west" }];

        Assert.Equal(expected, LocalityFailover.Level(Proxy, WorkloadLocality.Parse(endpoint), failover));
    }

    [Fact]
    public void Level_NoFailoverForProxyRegion_LeavesEveryOtherRegionAtThree()
    {
        IstioLocalityFailover[] failover = [new() { From = "eu-west", To = "us-west" }];

        Assert.Equal(3u, LocalityFailover.Level(Proxy, WorkloadLocality.Parse("ap-south/zone1"), failover));
    }

    [Fact]
    public void Apply_LevelsWithGaps_AreRenumberedFromZeroWithoutGaps()
    {
        var (assignment, _) = Of(
            Endpoint("10.0.0.1", "eu-west/zone1"),
            Endpoint("10.0.0.2", "us-east/zone1/sub1"),
            Endpoint("10.0.0.3", "us-east/zone2"));

        LocalityFailover.Apply(assignment, Proxy, [new IstioLocalityFailover { From = "us-east", To = "us-west" }]);

        // Raw levels 4, 0, 2.
        Assert.Equal(["eu-west/zone1/=2", "us-east/zone1/sub1=0", "us-east/zone2/=1"], Priorities(assignment));
    }

    [Fact]
    public void Apply_PrioritiesAlreadySet_StayTheMajorKey()
    {
        var (assignment, _) = Of(
            Endpoint("10.0.0.1", "us-east/zone1/sub1"),
            Endpoint("10.0.0.2", "us-west/zone1"),
            Endpoint("10.0.0.3", "eu-west/zone1"));
        assignment.Endpoints.Single(e => e.Locality.Region == "us-east").Priority = 1; // the same subzone, but a worse failoverPriority level

        LocalityFailover.Apply(assignment, Proxy, [new IstioLocalityFailover { From = "us-east", To = "us-west" }]);

        // Raw eu-west 0*5+4 = 4, us-east 1*5+0 = 5, us-west 0*5+3 = 3.
        Assert.Equal(["eu-west/zone1/=1", "us-east/zone1/sub1=2", "us-west/zone1/=0"], Priorities(assignment));
    }

    [Fact]
    public void Apply_EveryLocalityTheProxys_LeavesAllAtZero()
    {
        var (assignment, _) = Of(Endpoint("10.0.0.1", "us-east/zone1/sub1"), Endpoint("10.0.0.2", "us-east/zone1/sub1"));

        LocalityFailover.Apply(assignment, Proxy, []);

        Assert.Equal(["us-east/zone1/sub1=0"], Priorities(assignment));
    }

    [Fact]
    public void Renumber_DistinctRawValues_KeepTheirOrder()
    {
        var (assignment, _) = Of(Endpoint("10.0.0.1", "a"), Endpoint("10.0.0.2", "b"), Endpoint("10.0.0.3", "c"), Endpoint("10.0.0.4", "d"));

        PriorityLevels.Renumber(assignment.Endpoints, [17, 3, 17, 9]);

        Assert.Equal([2u, 0u, 2u, 1u], assignment.Endpoints.Select(e => e.Priority));
    }
}
