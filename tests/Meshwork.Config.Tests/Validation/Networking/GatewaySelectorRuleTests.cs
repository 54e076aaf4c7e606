using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Networking;

public class GatewaySelectorRuleTests
{
    [Fact]
    public void Check_InvalidLabelValue_WarnsButAccepts()
    {
        var yaml = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata:
              name: gw
            spec:
              selector:
                istio: "ingress gateway"
              servers:
              - port: {number: 80, name: http, protocol: HTTP}
                hosts: ["*"]
            """;
        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal(["test.yaml:7: warning: Gateway default/gw: spec.selector[istio]: invalid tag value: \"ingress gateway\": the selector can never match a workload"], Validate.Warnings(yaml));
    }

    [Fact]
    public void Check_NoSelector_IsValidWithoutWarning()
    {
        var yaml = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata:
              name: gw
            spec:
              servers:
              - port: {number: 80, name: http, protocol: HTTP}
                hosts: ["*"]
            """;
        Assert.Empty(Validate.Errors(yaml));
        Assert.Empty(Validate.Warnings(yaml));
    }
}
