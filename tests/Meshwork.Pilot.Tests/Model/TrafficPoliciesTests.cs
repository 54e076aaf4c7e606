using Meshwork.Config.Networking;
using Meshwork.Config.Values;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Tests.Model;

public class TrafficPoliciesTests
{
    private static readonly TrafficPolicy TopLevel = new()
    {
        LoadBalancer = new LoadBalancerSettings { Simple = SimpleLb.Random },
        ConnectionPool = new ConnectionPoolSettings { Tcp = new TcpConnectionPoolSettings { MaxConnections = 10 } },
        OutlierDetection = new OutlierDetection { Consecutive5xxErrors = 3 },
        Tls = new ClientTlsSettings { Mode = ClientTlsMode.IstioMutual },
        PortLevelSettings = ValueList.Of(
            new PortTrafficPolicy { Port = new PortSelector { Number = 8080 }, LoadBalancer = new LoadBalancerSettings { Simple = SimpleLb.RoundRobin } }),
    };

    [Fact]
    public void ForPort_PortLevelSetting_ReplacesTheWholeTopLevel()
    {
        var policy = TrafficPolicies.ForPort(TopLevel, 8080)!;

        Assert.Equal(SimpleLb.RoundRobin, policy.LoadBalancer!.Simple);
        Assert.Null(policy.ConnectionPool);
        Assert.Null(policy.OutlierDetection);
        Assert.Null(policy.Tls);
    }

    [Fact]
    public void ForPort_OtherPort_KeepsTopLevelWithoutPortSettings()
    {
        var policy = TrafficPolicies.ForPort(TopLevel, 9090)!;

        Assert.Equal(SimpleLb.Random, policy.LoadBalancer!.Simple);
        Assert.Equal(10, policy.ConnectionPool!.Tcp!.MaxConnections);
        Assert.True(policy.PortLevelSettings.IsEmpty);
    }

    [Fact]
    public void ForSubset_SubsetField_OverridesOnlyThatField()
    {
        var subset = new TrafficPolicy { LoadBalancer = new LoadBalancerSettings { Simple = SimpleLb.LeastRequest } };

        var policy = TrafficPolicies.ForSubset(TopLevel, subset, 9090)!;

        Assert.Equal(SimpleLb.LeastRequest, policy.LoadBalancer!.Simple);
        Assert.Equal(10, policy.ConnectionPool!.Tcp!.MaxConnections);
        Assert.Equal(ClientTlsMode.IstioMutual, policy.Tls!.Mode);
    }

    [Fact]
    public void ForSubset_SubsetPortLevelSetting_ReplacesAllFourFields()
    {
        var subset = new TrafficPolicy
        {
            PortLevelSettings = ValueList.Of(new PortTrafficPolicy { Port = new PortSelector { Number = 9090 }, OutlierDetection = new OutlierDetection { Consecutive5xxErrors = 9 } }),
        };

        var policy = TrafficPolicies.ForSubset(TopLevel, subset, 9090)!;

        Assert.Equal(9u, policy.OutlierDetection!.Consecutive5xxErrors);
        Assert.Null(policy.LoadBalancer);
        Assert.Null(policy.ConnectionPool);
        Assert.Null(policy.Tls);
    }

    [Fact]
    public void ForSubset_NoSubsetPolicy_UsesTheDestinationsPortLevelSetting()
    {
        var policy = TrafficPolicies.ForSubset(TopLevel, null, 8080)!;

        Assert.Equal(SimpleLb.RoundRobin, policy.LoadBalancer!.Simple);
        Assert.Null(policy.Tls);
    }

    [Fact]
    public void ForSubset_NoDestinationPolicy_UsesTheSubsets()
    {
        var subset = new TrafficPolicy { Tls = new ClientTlsSettings { Mode = ClientTlsMode.Disable } };

        Assert.Equal(ClientTlsMode.Disable, TrafficPolicies.ForSubset(null, subset, 80)!.Tls!.Mode);
    }
}
