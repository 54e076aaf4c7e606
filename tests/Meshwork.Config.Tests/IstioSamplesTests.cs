using Meshwork.Config.Loading;
using Meshwork.Config.Tests.Support;
using Meshwork.Config.Validation;

namespace Meshwork.Config.Tests;

/// <summary>Istio's own Bookinfo configs, read from ../shared in place, must load and validate as Istio accepts them.</summary>
public class IstioSamplesTests
{
    public static TheoryData<string> NetworkingFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepoPaths.IstioSamples, "bookinfo", "networking")).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(NetworkingFiles))]
    public void Validate_BookinfoNetworkingFile_IsValid(string name)
    {
        var path = Path.Combine(RepoPaths.IstioSamples, "bookinfo", "networking", name);

        var outcome = ConfigValidator.Complete(ConfigReader.ReadBytes(File.ReadAllBytes(path), name));

        Assert.Empty(outcome.Errors.Select(d => d.ToString()));
        Assert.NotEmpty(outcome.Resources);
        Assert.Equal(0, outcome.Skipped);
    }

    [Fact]
    public void Read_BookinfoPlatformManifests_SkipsKubernetesKindsWithoutErrors()
    {
        var path = Path.Combine(RepoPaths.IstioSamples, "bookinfo", "platform", "kube", "bookinfo.yaml");

        var outcome = ConfigValidator.Complete(ConfigReader.ReadBytes(File.ReadAllBytes(path), "bookinfo.yaml"));

        Assert.Empty(outcome.Diagnostics);
        Assert.True(outcome.Skipped > 10);
    }
}
