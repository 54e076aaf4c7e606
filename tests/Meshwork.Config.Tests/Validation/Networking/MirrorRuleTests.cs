using static Meshwork.Config.Tests.Validation.Networking.VirtualServiceYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class MirrorRuleTests
{
    private static string Mirror(string mirror) => $"hosts: [foo.bar]\nhttp:\n- route: [{{destination: {{host: foo.baz}}}}]\n  {mirror}";

    [Theory]
    [InlineData("mirror: {host: shadow, subset: v1}\n  mirrorPercentage: {value: 50}")]
    [InlineData("mirrors: [{destination: {host: a}}, {destination: {host: b}, percentage: {value: 0.5}}]")]
    public void Check_ValidMirrors_Accepted(string mirror) => Valid(Mirror(mirror));

    [Fact]
    public void Check_MirrorPercentagesOutOfRange_Rejected()
    {
        Assert.Equal(
            [
                Error(9, "spec.http[0].mirror.host: invalid host \"bad_host\": domain name \"bad_host\" invalid (label \"bad_host\" invalid)"),
                Error(10, "spec.http[0].mirrorPercent: must be at most 100, got 101"),
                Error(11, "spec.http[0].mirrorPercentage.value: must not be negative, got -1"),
            ],
            Errors(Mirror("mirror: {host: bad_host}\n  mirrorPercent: 101\n  mirrorPercentage: {value: -1}")));
    }

    [Fact]
    public void Check_MirrorsEntries_Rejected()
    {
        Assert.Equal(
            [
                Error(10, "spec.http[0].mirrors[0]: destination is required for mirrors"),
                Error(11, "spec.http[0].mirrors[1].destination.subset: invalid subset name \"v.1\": must be a DNS-1123 label"),
                Error(12, "spec.http[0].mirrors[1].percentage.value: must be at most 100, got 150.5"),
            ],
            Errors(Mirror("mirrors:\n  - percentage: {value: 10}\n  - destination: {host: a, subset: v.1}\n    percentage: {value: 150.5}")));
    }
}
