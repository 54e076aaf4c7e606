using Meshwork.Config.Networking;
using Meshwork.Config.Values;
using Meshwork.Pilot.Generators.LocalityLoadBalancing;
using Meshwork.Pilot.Model;
using static Meshwork.Pilot.Tests.Generators.LocalityLoadBalancing.LocalityAssignments;

namespace Meshwork.Pilot.Tests.Generators.LocalityLoadBalancing;

public class LocalityWeightsTests
{
    private static readonly WorkloadLocality Proxy = WorkloadLocality.Parse("us-east/zone1/sub1");

    private static LocalityDistribute Rule(string from, params (string To, uint Weight)[] to) =>
        new() { From = from, To = ValueMap.Of(to) };

    [Fact]
    public void Apply_WildcardDestination_SplitsItsShareByLocalityWeightRoundingUp()
    {
        var (assignment, _) = Of(
            Endpoint("10.0.0.1", "us-east/zone1/sub1"),
            Endpoint("10.0.0.2", "us-east/zone1/sub2", 2),
            Endpoint("10.0.0.3", "us-west/zone1"));

        LocalityWeights.Apply(assignment, Proxy, [Rule("us-east/zone1/*", ("us-east/zone1/*", 80), ("us-west", 20))]);

        Assert.Equal([27u, 54u, 20u], assignment.Endpoints.Select(e => e.LoadBalancingWeight!.Value));
        Assert.All(assignment.Endpoints, e => Assert.Equal(0u, e.Priority));
    }

    [Fact]
    public void Apply_LocalityNoDestinationMatches_KeepsItsWeightButLosesItsEndpoints()
    {
        var (assignment, _) = Of(Endpoint("10.0.0.1", "us-east/zone1/sub1"), Endpoint("10.0.0.2", "eu-west/zone1", 5));

        LocalityWeights.Apply(assignment, Proxy, [Rule("us-east", ("us-east", 100))]);

        var eu = assignment.Endpoints.Single(e => e.Locality.Region == "eu-west");
        Assert.Empty(eu.LbEndpoints);
        Assert.Equal(5u, eu.LoadBalancingWeight);
        Assert.Equal(100u, assignment.Endpoints.Single(e => e.Locality.Region == "us-east").LoadBalancingWeight);
    }

    [Fact]
    public void Apply_FirstRuleMatchingTheProxy_Wins()
    {
        var (assignment, _) = Of(Endpoint("10.0.0.1", "us-east/zone1/sub1"), Endpoint("10.0.0.2", "us-west/zone1"));

        LocalityWeights.Apply(assignment, Proxy, [Rule("eu-west/*", ("eu-west", 100)), Rule("us-east/*", ("us-east", 10), ("us-west", 90)), Rule("*", ("us-east", 100))]);

        Assert.Equal([10u, 90u], assignment.Endpoints.Select(e => e.LoadBalancingWeight!.Value));
    }

    [Fact]
    public void Apply_NoRuleMatchesTheProxy_ChangesNothing()
    {
        var (assignment, _) = Of(Endpoint("10.0.0.1", "us-east/zone1/sub1"), Endpoint("10.0.0.2", "us-west/zone1"));
        var before = assignment.Clone();

        LocalityWeights.Apply(assignment, Proxy, [Rule("eu-west", ("us-east", 100))]);

        Assert.Equal(before, assignment);
    }
}
