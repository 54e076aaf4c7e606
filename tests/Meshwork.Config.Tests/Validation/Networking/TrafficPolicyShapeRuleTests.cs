using Meshwork.Config.Tests.Support;
using static Meshwork.Config.Tests.Validation.Networking.DestinationRuleYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class TrafficPolicyShapeRuleTests
{
    [Fact]
    public void Check_EmptyPolicy_RejectedAndNotCheckedFurther() =>
        Assert.Equal([At(10, "spec.subsets[0].trafficPolicy: traffic policy must have at least one field")], Validate.Errors(Header + """
              host: reviews
              subsets:
              - name: v1
                labels: {version: v1}
                trafficPolicy: {}
            """));

    [Fact]
    public void Check_RetryBudgetAlone_Accepted() => Validate.Valid(Header + """
          host: reviews
          trafficPolicy:
            retryBudget:
              percent: 20
        """);

    [Fact]
    public void Check_TunnelWithProxyProtocol_RejectedAndNotCheckedFurther() =>
        Assert.Equal([At(7, "spec.trafficPolicy: tunnel and proxyProtocol must not be set together")], Validate.Errors(Header + """
              host: reviews
              trafficPolicy:
                tunnel:
                  targetHost: "bad host"
                  targetPort: 0
                proxyProtocol:
                  version: V2
            """));

    [Fact]
    public void Check_PortLevelWithoutPortOrSettings_Rejected() =>
        Assert.Equal(
            [
                At(9, "spec.trafficPolicy.portLevelSettings[0].port: portTrafficPolicy must have valid port"),
                At(11, "spec.trafficPolicy.portLevelSettings[1]: port traffic policy must have at least one field"),
            ],
            Validate.Errors(Header + """
                  host: reviews
                  trafficPolicy:
                    portLevelSettings:
                    - loadBalancer:
                        simple: RANDOM
                    - port:
                        number: 80
                """));

    [Fact]
    public void Check_PortListedTwice_WarnsOnlyFirstApplies()
    {
        var yaml = Header + """
              host: reviews
              trafficPolicy:
                portLevelSettings:
                - port: {number: 80}
                  loadBalancer: {simple: RANDOM}
                - port: {number: 80}
                  loadBalancer: {simple: ROUND_ROBIN}
            """;

        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal([Warning(11, "spec.trafficPolicy.portLevelSettings[1].port.number: duplicate port 80: only the first entry for it (portLevelSettings[0]) applies")], Validate.Warnings(yaml));
    }
}
