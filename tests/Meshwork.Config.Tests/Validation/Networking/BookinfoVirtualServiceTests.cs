using Meshwork.Config.Validation;

namespace Meshwork.Config.Tests.Validation.Networking;

/// <summary>Istio's own Bookinfo VirtualServices, read from the shared samples as they are, must all validate.</summary>
public class BookinfoVirtualServiceTests
{
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(VirtualServiceFiles.BookinfoNetworking, "*.yaml").Order(StringComparer.Ordinal))
        {
            if (File.ReadAllText(file).Contains("kind: VirtualService", StringComparison.Ordinal))
            {
                data.Add(Path.GetFileName(file));
            }
        }

        return data;
    }

    [Fact]
    public void Files_SamplesHoldVirtualServices_AtLeastFifteenFound()
    {
        Assert.True(Files().Count >= 15, $"expected the Bookinfo samples under {VirtualServiceFiles.BookinfoNetworking}");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Validate_BookinfoFile_EveryVirtualServiceIsValid(string name)
    {
        var path = Path.Combine(VirtualServiceFiles.BookinfoNetworking, name);
        var outcome = ConfigValidator.ValidateText(File.ReadAllText(path), name);

        // Other kinds in the same files (DestinationRule, Gateway, ServiceEntry) are other rules' business.
        var virtualServices = outcome.Resources.Where(r => r.Kind.Kind == "VirtualService").ToList();
        Assert.NotEmpty(virtualServices);
        var errors = outcome.Errors.Where(d => d.Resource?.StartsWith("VirtualService ", StringComparison.Ordinal) == true).Select(d => d.ToString());
        Assert.Empty(errors);
        var read = File.ReadAllText(path).Split("kind: VirtualService").Length - 1;
        Assert.Equal(read, virtualServices.Count);
    }
}
