using Meshwork.Config.Tests.Support;
using static Meshwork.Config.Tests.Validation.Networking.DestinationRuleYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class TrafficPolicyLocalityRuleTests
{
    private static string Locality(string setting, bool outlier = true) =>
        Header + "  host: reviews\n  trafficPolicy:\n" + (outlier ? "    outlierDetection: {consecutive5xxErrors: 5}\n" : string.Empty)
        + "    loadBalancer:\n      localityLbSetting:\n" + setting;

    [Fact]
    public void Check_ValidDistribute_Accepted() => Validate.Valid(Locality("""
                distribute:
                - from: us-west/zone1/*
                  to:
                    "us-west/zone1/*": 80
                    "us-west/zone2/*": 20
                - from: us-west/zone2/*
                  to:
                    "us-west/zone1/*": 20
                    "us-west/zone2/*": 80

        """));

    [Fact]
    public void Check_ValidFailover_Accepted() => Validate.Valid(Locality("""
                failover:
                - from: us-east
                  to: eu-west
                failoverPriority: ["topology.istio.io/network"]

        """));

    [Fact]
    public void Check_DistributeAndFailover_Rejected() =>
        Assert.Equal([At(10, "spec.trafficPolicy.loadBalancer.localityLbSetting: can not simultaneously specify 'distribute' and 'failover'")], Validate.Errors(Locality("""
                    distribute:
                    - {from: a, to: {b: 100}}
                    failover:
                    - {from: a, to: b}

            """)));

    [Fact]
    public void Check_FailoverWithTopologyPriority_Rejected() =>
        Assert.Equal([At(15, "spec.trafficPolicy.loadBalancer.localityLbSetting.failoverPriority[1]: can not simultaneously set 'failover' and topology label 'topology.kubernetes.io/region' in 'failover_priority'")], Validate.Errors(Locality("""
                    failover:
                    - {from: us-east, to: eu-west}
                    failoverPriority:
                    - topology.istio.io/network
                    - topology.kubernetes.io/region

            """)));

    [Fact]
    public void Check_WeightOutOfRange_Rejected() =>
        Assert.Equal([At(15, "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to[b]: locality weight must be in range [1, 100], got 0")], Validate.Errors(Locality("""
                    distribute:
                    - from: a
                      to:
                        a: 100
                        b: 0

            """)));

    [Fact]
    public void Check_WeightsNot100_Rejected() =>
        Assert.Equal([At(13, "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to: total locality weight 90 != 100")], Validate.Errors(Locality("""
                    distribute:
                    - from: a
                      to:
                        a: 50
                        b: 40

            """)));

    [Theory]
    [InlineData("us-west/*/zone1", "locality us-west/*/zone1 wildcard '*' number can not exceed 1 and must be in the end")]
    [InlineData("us-west//zone1", "locality us-west//zone1 must not contain empty region/zone/subzone info")]
    public void Check_MalformedSourceLocality_Rejected(string from, string message) =>
        Assert.Equal([At(12, "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].from: " + message)], Validate.Errors(Locality($"        distribute:\n        - from: \"{from}\"\n          to: {{a: 100}}\n")));

    [Fact]
    public void Check_OverlappingDestinations_Rejected() =>
        Assert.Equal([At(15, "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to[us-west/zone1]: locality us-west/zone1 overlap with previous specified ones")], Validate.Errors(Locality("""
                    distribute:
                    - from: a
                      to:
                        "us-west": 50
                        "us-west/zone1": 50

            """)));

    [Fact]
    public void Check_BadFailoverRegions_Rejected() =>
        Assert.Equal(
            [
                At(12, "spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0]: locality lb failover settings must specify different regions"),
                At(13, "spec.trafficPolicy.loadBalancer.localityLbSetting.failover[1]: locality lb failover only specify region"),
                At(14, "spec.trafficPolicy.loadBalancer.localityLbSetting.failover[2]: locality lb failover region should not contain '*' wildcard"),
            ],
            Validate.Errors(Locality("""
                        failover:
                        - {from: us-east, to: us-east}
                        - {from: us-east/zone1, to: eu-west}
                        - {from: "*", to: eu-west}

                """)));

    [Fact]
    public void Check_FailoverWithoutOutlierDetection_Warns()
    {
        var yaml = Locality("        failover:\n        - {from: us-east, to: eu-west}\n", outlier: false);

        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal([Warning(9, "spec.trafficPolicy.loadBalancer.localityLbSetting: outlier detection policy must be provided for failover")], Validate.Warnings(yaml));
    }
}
