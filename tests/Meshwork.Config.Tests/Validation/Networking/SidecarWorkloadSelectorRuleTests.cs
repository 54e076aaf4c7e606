using Meshwork.Config.Tests.Support;
using static Meshwork.Config.Tests.Validation.Networking.SidecarYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class SidecarWorkloadSelectorRuleTests
{
    [Fact]
    public void Check_SelectorWithLabels_Accepted() => Validate.Valid(Header + """
          workloadSelector:
            labels: {app: reviews}
          egress:
          - hosts: ["./*", "istio-system/*"]
        """);

    [Fact]
    public void Check_WildcardSelector_OnlyThatIsReported() =>
        Assert.Equal([At(8, "spec.workloadSelector.labels[app]: wildcard is not supported in selector: \"app=*\"")], Validate.Errors(Header + """
              workloadSelector:
                labels:
                  app: "*"
              egress:
              - hosts: ["bad"]
            """));

    [Fact]
    public void Check_EmptySidecar_Rejected() =>
        Assert.Equal([At(6, "spec: empty configuration provided: set at least one of ingress, egress, outboundTrafficPolicy, inboundConnectionPool")], Validate.Errors(Header + "  workloadSelector:\n    labels: {app: a}\n"));

    [Fact]
    public void Check_SelectorWithoutLabels_Warns()
    {
        var yaml = Header + "  workloadSelector: {}\n  outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n";

        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal([Warning(6, "spec.workloadSelector: workload selector specified without labels, will be applied to all services in namespace")], Validate.Warnings(yaml));
    }
}
