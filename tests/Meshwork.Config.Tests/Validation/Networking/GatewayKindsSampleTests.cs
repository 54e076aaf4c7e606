using Meshwork.Config.Validation;

namespace Meshwork.Config.Tests.Validation.Networking;

/// <summary>Istio's Bookinfo samples validate with no error for Gateway, ServiceEntry, WorkloadEntry and WorkloadGroup (other kinds are other rules' business).</summary>
public class GatewayKindsSampleTests
{
    private static readonly string[] Kinds = ["Gateway ", "ServiceEntry ", "WorkloadEntry ", "WorkloadGroup "];

    public static TheoryData<string> SampleFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(SamplesDirectory(), "*.yaml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SampleFiles))]
    public void Validate_BookinfoNetworkingSample_HasNoErrorForTheseKinds(string file)
    {
        var outcome = ConfigValidator.ValidateText(File.ReadAllText(Path.Combine(SamplesDirectory(), file)), file);
        var errors = outcome.Errors.Where(d => d.Resource is { } r && Kinds.Any(k => r.StartsWith(k, StringComparison.Ordinal))).Select(d => d.ToString());
        Assert.Empty(errors);
    }

    [Theory]
    [InlineData("bookinfo-gateway.yaml", "Gateway")]
    [InlineData("certmanager-gateway.yaml", "Gateway")]
    [InlineData("egress-rule-google-apis.yaml", "ServiceEntry")]
    public void Validate_SampleWithTheseKinds_ReadsThem(string file, string kind)
    {
        var outcome = ConfigValidator.ValidateText(File.ReadAllText(Path.Combine(SamplesDirectory(), file)), file);
        Assert.Contains(outcome.Resources, r => r.Kind.Kind == kind);
        Assert.Empty(outcome.Diagnostics.Where(d => d.Resource is { } r && r.StartsWith(kind + " ", StringComparison.Ordinal)).Select(d => d.ToString()));
    }

    /// <summary>shared/istio-samples sits beside the repository (locally and in CI).</summary>
    private static string SamplesDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "istio-samples", "bookinfo", "networking");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("shared/istio-samples/bookinfo/networking not found beside the repository");
    }
}
