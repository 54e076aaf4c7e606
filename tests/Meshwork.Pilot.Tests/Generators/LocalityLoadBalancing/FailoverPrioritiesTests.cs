using Meshwork.Pilot.Generators.LocalityLoadBalancing;
using static Meshwork.Pilot.Tests.Generators.LocalityLoadBalancing.LocalityAssignments;

namespace Meshwork.Pilot.Tests.Generators.LocalityLoadBalancing;

public class FailoverPrioritiesTests
{
    private static readonly string[] NetworkRegionZone = ["topology.istio.io/network", "topology.kubernetes.io/region", "topology.kubernetes.io/zone"];

    private static readonly Meshwork.Config.Values.ValueMap<string, string> Proxy =
        Labels("app=frontend,topology.istio.io/network=net1,topology.kubernetes.io/region=us-east,topology.kubernetes.io/zone=zone1");

    [Theory]
    [InlineData("topology.istio.io/network=net1,topology.kubernetes.io/region=us-east,topology.kubernetes.io/zone=zone1", 0u)]
    [InlineData("topology.istio.io/network=net1,topology.kubernetes.io/region=us-east,topology.kubernetes.io/zone=zone2", 1u)]
    [InlineData("topology.istio.io/network=net1,topology.kubernetes.io/region=us-west,topology.kubernetes.io/zone=zone1", 2u)]
    [InlineData("topology.istio.io/network=net2,topology.kubernetes.io/region=us-east,topology.kubernetes.io/zone=zone1", 3u)]
    [InlineData("topology.kubernetes.io/region=us-east,topology.kubernetes.io/zone=zone1", 3u)]
    public void PriorityOf_FirstMismatch_DecidesTheLevel(string endpointLabels, uint expected) =>
        Assert.Equal(expected, FailoverPriorities.PriorityOf(FailoverPriorities.Parse(NetworkRegionZone), Proxy, Labels(endpointLabels)));

    [Fact]
    public void PriorityOf_LabelNeitherSideHas_Matches() =>
        Assert.Equal(0u, FailoverPriorities.PriorityOf(FailoverPriorities.Parse(["tier"]), Labels("app=a"), Labels("app=b")));

    [Theory]
    [InlineData("version=v2", 0u)]
    [InlineData("version=v1", 1u)]
    public void PriorityOf_OverriddenValue_ComparesWithItInsteadOfTheProxys(string endpointLabels, uint expected) =>
        Assert.Equal(expected, FailoverPriorities.PriorityOf(FailoverPriorities.Parse(["version=v2"]), Labels("version=v1"), Labels(endpointLabels)));

    [Fact]
    public void Parse_KeyValueForms_SplitOnASingleEquals()
    {
        var labels = FailoverPriorities.Parse(["a", "b=x", "c=x=y"]);

        Assert.Equal([("a", null), ("b", "x"), ("c", null)], labels);
    }

    [Fact]
    public void Apply_LocalityWithTwoLevels_IsSplitAndRenumbered()
    {
        var (assignment, groups) = Of(
            Endpoint("10.0.0.1", "us-east/zone1", 2, "topology.istio.io/network=net1,topology.kubernetes.io/region=us-east,topology.kubernetes.io/zone=zone1"),
            Endpoint("10.0.0.2", "us-east/zone1", 3, "topology.istio.io/network=net2,topology.kubernetes.io/region=us-east,topology.kubernetes.io/zone=zone1"),
            Endpoint("10.0.0.3", "us-east/zone1", 4, "topology.istio.io/network=net1,topology.kubernetes.io/region=us-east,topology.kubernetes.io/zone=zone1"));

        FailoverPriorities.Apply(assignment, groups, Proxy, NetworkRegionZone);

        // Raw levels 0 (10.0.0.1, 10.0.0.3) and 3 (10.0.0.2), renumbered 0 and 1; weights re-summed per group.
        Assert.Equal(["us-east/zone1/=0", "us-east/zone1/=1"], Priorities(assignment));
        Assert.Equal(["10.0.0.1", "10.0.0.3"], assignment.Endpoints[0].LbEndpoints.Select(e => e.Endpoint.Address.SocketAddress.Address));
        Assert.Equal(6u, assignment.Endpoints[0].LoadBalancingWeight);
        Assert.Equal(3u, assignment.Endpoints[1].LoadBalancingWeight);
    }

    [Fact]
    public void Apply_NoProxyLabels_ChangesNothing()
    {
        var (assignment, groups) = Of(Endpoint("10.0.0.1", "a", labels: "x=1"), Endpoint("10.0.0.2", "b", labels: "x=2"));
        var before = assignment.Clone();

        FailoverPriorities.Apply(assignment, groups, default, ["x"]);

        Assert.Equal(before, assignment);
    }
}
