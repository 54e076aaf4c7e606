using Meshwork.Config.Validation;

namespace Meshwork.Config.Tests.Validation.Networking;

/// <summary>
/// Runs the corpus files of Gateway, ServiceEntry, WorkloadEntry and WorkloadGroup: each invalid file
/// yields exactly the errors its <c># expect:</c> lines list, each valid file none.
/// </summary>
public class GatewayKindsCorpusTests
{
    private static readonly string[] Prefixes = ["gateway-", "serviceentry-", "workloadentry-", "workloadgroup-"];

    public static TheoryData<string> InvalidFiles() => Files("invalid");

    public static TheoryData<string> ValidFiles() => Files("valid");

    [Theory]
    [MemberData(nameof(InvalidFiles))]
    public void Validate_InvalidCorpusFile_ReportsExactlyTheExpectedErrors(string file)
    {
        var text = File.ReadAllText(Path.Combine(CorpusDirectory(), "invalid", file));
        var expected = text.Split('\n')
            .TakeWhile(line => line.StartsWith('#'))
            .Where(line => line.StartsWith("# expect: ", StringComparison.Ordinal))
            .Select(line => $"{file}:{line["# expect: ".Length..].TrimEnd('\r')}")
            .ToArray();

        Assert.NotEmpty(expected);
        Assert.Equal(expected, ConfigValidator.ValidateText(text, file).Errors.Select(d => d.ToString()).ToArray());
    }

    [Theory]
    [MemberData(nameof(ValidFiles))]
    public void Validate_ValidCorpusFile_HasNoError(string file)
    {
        var outcome = ConfigValidator.ValidateText(File.ReadAllText(Path.Combine(CorpusDirectory(), "valid", file)), file);
        Assert.Empty(outcome.Errors.Select(d => d.ToString()));
        Assert.NotEmpty(outcome.Resources);
    }

    [Fact]
    public void Corpus_InvalidFiles_AreAtLeastEighteen() => Assert.True(InvalidFiles().Count >= 18, $"only {InvalidFiles().Count} invalid corpus files");

    private static TheoryData<string> Files(string folder)
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(CorpusDirectory(), folder), "*.yaml").Select(Path.GetFileName).Order(StringComparer.Ordinal))
        {
            if (Prefixes.Any(p => file!.StartsWith(p, StringComparison.Ordinal)))
            {
                data.Add(file!);
            }
        }

        return data;
    }

    private static string CorpusDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "Meshwork.Config.Tests", "Corpus");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("tests/Meshwork.Config.Tests/Corpus not found above the test binaries");
    }
}
