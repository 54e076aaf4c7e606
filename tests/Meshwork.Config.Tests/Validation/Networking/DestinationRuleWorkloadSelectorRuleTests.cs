using Meshwork.Config.Tests.Support;
using static Meshwork.Config.Tests.Validation.Networking.DestinationRuleYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class DestinationRuleWorkloadSelectorRuleTests
{
    [Fact]
    public void Check_WildcardAndEmptyKey_Rejected() =>
        Assert.Equal(
            [
                At(9, "spec.workloadSelector.matchLabels[app]: wildcard is not supported in selector: \"app=rev*\""),
                At(10, "spec.workloadSelector.matchLabels[]: empty key is not supported in selector: \"=x\""),
            ],
            Validate.Errors(Header + """
                  host: a.b
                  workloadSelector:
                    matchLabels:
                      app: rev*
                      "": x
                """));

    [Fact]
    public void Check_NoLabels_Warns()
    {
        var yaml = Header + "  host: a.b\n  workloadSelector: {}\n";

        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal([Warning(7, "spec.workloadSelector: workload selector specified without labels")], Validate.Warnings(yaml));
    }
}
