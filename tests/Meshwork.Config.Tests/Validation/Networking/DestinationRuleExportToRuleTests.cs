using Meshwork.Config.Tests.Support;
using static Meshwork.Config.Tests.Validation.Networking.DestinationRuleYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class DestinationRuleExportToRuleTests
{
    [Theory]
    [InlineData("[\".\"]")]
    [InlineData("[\"*\"]")]
    [InlineData("[\".\", ns1, ns2]")]
    public void Check_ValidEntries_Accepted(string exportTo) => Validate.Valid(Header + $"  host: a.b\n  exportTo: {exportTo}\n");

    [Fact]
    public void Check_DotAndOwnNamespace_Duplicate() =>
        Assert.Equal([At(9, "spec.exportTo[1]: duplicate entries in exportTo: . and current namespace default")], Validate.Errors(Header + """
              host: a.b
              exportTo:
              - default
              - .
            """));

    [Fact]
    public void Check_SameEntryTwice_Duplicate() =>
        Assert.Equal([At(7, "spec.exportTo[1]: duplicate entries in exportTo for entry ns1")], Validate.Errors(Header + "  host: a.b\n  exportTo: [ns1, ns1]\n"));

    [Fact]
    public void Check_NoneAndInvalidEntries_Rejected() =>
        Assert.Equal(
            [
                At(7, "spec.exportTo[0]: exportTo ~ (none) is not allowed for Istio configuration objects"),
                At(7, "spec.exportTo[1]: only ., *, or a valid DNS 1123 label is allowed as exportTo entry, got \"ns_1\""),
            ],
            Validate.Errors(Header + "  host: a.b\n  exportTo: [\"~\", ns_1]\n"));

    [Fact]
    public void Check_PublicWithOthers_Rejected() =>
        Assert.Equal([At(7, "spec.exportTo: cannot have both public (*) and non-public exportTo values for a resource")], Validate.Errors(Header + "  host: a.b\n  exportTo: [\"*\", ns1]\n"));

    [Fact]
    public void Check_WorkloadSelectorExportedElsewhere_Rejected() =>
        Assert.Equal([At(9, "spec.exportTo: destination rule with workload selector cannot have exportTo beyond current namespace")], Validate.Errors(Header + """
              host: a.b
              workloadSelector:
                matchLabels: {app: a}
              exportTo: ["*"]
            """));

    [Fact]
    public void Check_WorkloadSelectorExportedToOwnAndOther_Rejected() =>
        Assert.Equal([At(9, "spec.exportTo: destination rule with workload selector cannot have multiple entries in exportTo")], Validate.Errors(Header + """
              host: a.b
              workloadSelector:
                matchLabels: {app: a}
              exportTo: [".", ns1]
            """));

    [Fact]
    public void Check_WorkloadSelectorExportedToOwnNamespace_Accepted() => Validate.Valid(Header + """
          host: a.b
          workloadSelector:
            matchLabels: {app: a}
          exportTo: ["."]
        """);
}
