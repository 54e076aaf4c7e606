using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Meshwork.Config.Mesh;
using Meshwork.Config.Networking;
using Meshwork.Config.Values;
using Meshwork.Pilot.Generators.LocalityLoadBalancing;
using Meshwork.Pilot.Model;
using static Meshwork.Pilot.Tests.Generators.LocalityLoadBalancing.LocalityAssignments;
using IstioLocalityFailover = Meshwork.Config.Networking.LocalityFailover;

namespace Meshwork.Pilot.Tests.Generators.LocalityLoadBalancing;

public class LocalityLoadBalancerTests
{
    private static readonly WorkloadLocality Proxy = WorkloadLocality.Parse("us-east/zone1");

    private static readonly LocalityLoadBalancerSetting Failover = new() { Failover = ValueList.Of(new IstioLocalityFailover { From = "us-east", To = "us-west" }) };

    private static readonly LocalityLoadBalancerSetting Distribute = new()
    {
        Distribute = ValueList.Of(new LocalityDistribute { From = "*", To = ValueMap.Of(("us-east", 60u), ("us-west", 40u)) }),
    };

    private static LocalityLoadBalancer.Inputs Inputs(LocalityLoadBalancerSetting setting, bool failover) => new(setting, failover, Proxy, Labels("app=frontend"));

    private static ClusterLoadAssignment Sample() =>
        Of(Endpoint("10.0.0.1", "us-east/zone1"), Endpoint("10.0.0.2", "us-west/zone1"), Endpoint("10.0.0.3", "eu-west/zone1")).Assignment;

    [Fact]
    public void For_RuleSetting_WinsOverTheMesh()
    {
        var mesh = MeshConfig.Default with { LocalityLbSetting = Failover };

        Assert.Same(Distribute, LocalityLbSettings.For(mesh, new LoadBalancerSettings { LocalityLbSetting = Distribute }));
    }

    [Fact]
    public void For_RuleDisables_IsOffEvenWhenTheMeshHasASetting()
    {
        var mesh = MeshConfig.Default with { LocalityLbSetting = Failover };

        Assert.Null(LocalityLbSettings.For(mesh, new LoadBalancerSettings { LocalityLbSetting = new LocalityLoadBalancerSetting { Enabled = false } }));
    }

    [Fact]
    public void For_NoRuleSetting_IsTheMeshsOrIstiosEnabledDefault()
    {
        Assert.Same(Failover, LocalityLbSettings.For(MeshConfig.Default with { LocalityLbSetting = Failover }, new LoadBalancerSettings()));
        Assert.Same(LocalityLbSettings.MeshDefault, LocalityLbSettings.For(MeshConfig.Default, null));
        Assert.Null(LocalityLbSettings.For(MeshConfig.Default with { LocalityLbSetting = new LocalityLoadBalancerSetting { Enabled = false } }, null));
    }

    [Fact]
    public void Apply_FailoverWithoutOutlierDetection_ChangesNothing()
    {
        var assignment = Sample();
        var before = assignment.Clone();

        LocalityLoadBalancer.Apply(assignment, null, Inputs(Failover, failover: false));

        Assert.Equal(before, assignment);
    }

    [Fact]
    public void Apply_DefaultSettingWithOutlierDetection_RanksByLocalityAlone()
    {
        var assignment = Sample();

        LocalityLoadBalancer.Apply(assignment, null, Inputs(LocalityLbSettings.MeshDefault, failover: true));

        // us-east/zone1 0; us-west and eu-west are both another region (3), so they share level 1.
        Assert.Equal(["eu-west/zone1/=1", "us-east/zone1/=0", "us-west/zone1/=1"], Priorities(assignment));
    }

    [Fact]
    public void Apply_DistributeWithOutlierDetection_SetsWeightsNotPriorities()
    {
        var assignment = Sample();

        LocalityLoadBalancer.Apply(assignment, null, Inputs(Distribute, failover: true));

        Assert.All(assignment.Endpoints, e => Assert.Equal(0u, e.Priority));
        Assert.Equal(60u, assignment.Endpoints.Single(e => e.Locality.Region == "us-east").LoadBalancingWeight);
    }

    [Theory]
    [InlineData("distribute", false, true)]
    [InlineData("failover", true, true)]
    [InlineData("failover", false, false)]
    [InlineData("default", true, false)]
    public void ApplyToCluster_LocalityWeightedConfig_OnlyWhenWeightsOrFailoverCanApply(string kind, bool outlier, bool expected)
    {
        var setting = kind switch { "distribute" => Distribute, "failover" => Failover, _ => LocalityLbSettings.MeshDefault };
        var cluster = new Cluster { Name = "c" };

        LocalityLoadBalancer.ApplyToCluster(cluster, Inputs(setting, outlier));

        Assert.Equal(expected, cluster.CommonLbConfig?.LocalityWeightedLbConfig != null);
    }

    [Fact]
    public void ApplyToCluster_InlineDnsEndpoints_GetPriorities()
    {
        var cluster = new Cluster { Name = "c", LoadAssignment = Sample() };

        LocalityLoadBalancer.ApplyToCluster(cluster, Inputs(Failover, failover: true));

        // us-east/zone1 0, us-west (failover target) 3, eu-west 4.
        Assert.Equal(["eu-west/zone1/=2", "us-east/zone1/=0", "us-west/zone1/=1"], Priorities(cluster.LoadAssignment));
    }
}
