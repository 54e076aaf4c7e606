using System.Globalization;
using Meshwork.Config.Validation;

namespace Meshwork.Config.Tests.Validation.Networking;

/// <summary>
/// Runs this group's corpus files (destinationrule-*, sidecar-*): each invalid file must report
/// exactly the errors its <c># expect: LINE: REST</c> lines list, each valid file none.
/// </summary>
public class DestinationRuleSidecarCorpusTests
{
    private static readonly string[] Patterns = ["destinationrule-*.yaml", "sidecar-*.yaml"];

    public static TheoryData<string> InvalidFiles() => Files("invalid");

    public static TheoryData<string> ValidFiles() => Files("valid");

    [Fact]
    public void Corpus_HasAtLeast18InvalidFiles() => Assert.True(InvalidFiles().Count >= 18, $"only {InvalidFiles().Count} invalid files");

    [Theory]
    [MemberData(nameof(InvalidFiles))]
    public void Validate_InvalidFile_ReportsExactlyTheExpectedErrors(string name)
    {
        var text = File.ReadAllText(Path.Combine(CorpusDirectory(), "invalid", name));
        var expected = text.Split('\n').Where(l => l.StartsWith("# expect: ", StringComparison.Ordinal)).Select(l => l["# expect: ".Length..].TrimEnd('\r')).ToArray();

        var actual = ConfigValidator.ValidateText(text, name).Errors
            .Select(d => d.ToString()[(name.Length + 1)..])
            .ToArray();

        Assert.NotEmpty(expected);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(ValidFiles))]
    public void Validate_ValidFile_NoError(string name)
    {
        var outcome = ConfigValidator.ValidateText(File.ReadAllText(Path.Combine(CorpusDirectory(), "valid", name)), name);

        Assert.True(outcome.IsValid, string.Join("\n", outcome.Errors));
        Assert.NotEmpty(outcome.Resources);
    }

    private static TheoryData<string> Files(string kind)
    {
        var directory = Path.Combine(CorpusDirectory(), kind);
        return new(Patterns.SelectMany(p => Directory.GetFiles(directory, p)).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal));
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

        throw new DirectoryNotFoundException(string.Create(CultureInfo.InvariantCulture, $"no tests/Meshwork.Config.Tests/Corpus above {AppContext.BaseDirectory}"));
    }
}
