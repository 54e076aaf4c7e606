using static Meshwork.Config.Tests.Validation.Networking.VirtualServiceYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class VirtualServiceExportToRuleTests
{
    private const string Route = "hosts: [reviews]\nhttp:\n- route: [{destination: {host: reviews}}]";

    [Theory]
    [InlineData("[\".\"]")]
    [InlineData("[\"*\"]")]
    [InlineData("[\".\", other]")]
    public void Check_ValidExportTo_Accepted(string exportTo) => Valid($"{Route}\nexportTo: {exportTo}");

    [Fact]
    public void Check_OwnNamespaceThenDot_RejectedAsDuplicate()
    {
        Assert.Equal(
            [Error(11, "spec.exportTo[1]: duplicate entries in exportTo: . and current namespace default")],
            Errors($"{Route}\nexportTo:\n- default\n- \".\""));
    }

    [Fact]
    public void Check_DotThenOwnNamespace_RejectedAsDuplicateEntry()
    {
        Assert.Equal(
            [Error(11, "spec.exportTo[1]: duplicate entries in exportTo for entry default")],
            Errors($"{Route}\nexportTo:\n- \".\"\n- default"));
    }

    [Fact]
    public void Check_StarWithOthersNoneAndBadName_Rejected()
    {
        Assert.Equal(
            [
                Error(9, "spec.exportTo: cannot have both public (*) and non-public exportTo values for a resource"),
                Error(11, "spec.exportTo[1]: exportTo ~ (none) is not allowed for Istio configuration objects"),
                Error(12, "spec.exportTo[2]: invalid exportTo entry \"bad_ns\": only ., * or a namespace name (a DNS-1123 label) is allowed"),
                Error(13, "spec.exportTo[3]: duplicate entries in exportTo for entry *"),
            ],
            Errors($"{Route}\nexportTo:\n- \"*\"\n- \"~\"\n- bad_ns\n- \"*\""));
    }
}
