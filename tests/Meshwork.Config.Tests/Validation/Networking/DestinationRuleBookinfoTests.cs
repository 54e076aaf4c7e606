using Meshwork.Config.Networking;
using Meshwork.Config.Validation;

namespace Meshwork.Config.Tests.Validation.Networking;

/// <summary>Istio's own bookinfo DestinationRules, read where the samples live, must validate cleanly.</summary>
public class DestinationRuleBookinfoTests
{
    private const string SamplesDirectory = "/work/shared/istio-samples/bookinfo/networking";

    public static TheoryData<string> Files() => new(Directory.GetFiles(SamplesDirectory, "destination-rule-*.yaml").Order(StringComparer.Ordinal));

    [Fact]
    public void Files_SamplesPresent() => Assert.NotEmpty(Files());

    [Theory]
    [MemberData(nameof(Files))]
    public void Validate_BookinfoDestinationRules_NoError(string file)
    {
        var outcome = ConfigValidator.ValidateText(File.ReadAllText(file), Path.GetFileName(file));

        Assert.True(outcome.IsValid, string.Join("\n", outcome.Errors));
        Assert.NotEmpty(outcome.Resources);
        Assert.All(outcome.Resources, r => Assert.IsType<DestinationRule>(r.Spec));
    }
}
