using Meshwork.Config.Tests.Support;
using Meshwork.Config.Validation;

namespace Meshwork.Config.Tests;

/// <summary>
/// Every file in Corpus/invalid names its expected errors in leading <c># expect: LINE: REST</c>
/// comments; the validator must report exactly those. Every file in Corpus/valid must be clean.
/// </summary>
public class CorpusTests
{
    public static TheoryData<string> InvalidFiles() => Files("invalid");

    public static TheoryData<string> ValidFiles() => Files("valid");

    [Theory]
    [MemberData(nameof(InvalidFiles))]
    public void Validate_InvalidCorpusFile_ReportsExactlyTheExpectedErrors(string name)
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Corpus, "invalid", name));
        var expected = text.Split('\n')
            .TakeWhile(l => l.StartsWith('#'))
            .Where(l => l.StartsWith("# expect: ", StringComparison.Ordinal))
            .Select(l => name + ":" + l["# expect: ".Length..].TrimEnd('\r'))
            .ToArray();
        Assert.NotEmpty(expected);

        var actual = ConfigValidator.ValidateText(text, name).Errors.Select(d => d.ToString()).ToArray();

        Assert.Equal(expected.Order(StringComparer.Ordinal), actual.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ValidFiles))]
    public void Validate_ValidCorpusFile_HasNoErrors(string name)
    {
        var outcome = ConfigValidator.ValidateText(File.ReadAllText(Path.Combine(RepoPaths.Corpus, "valid", name)), name);

        Assert.Empty(outcome.Errors.Select(d => d.ToString()));
        Assert.NotEmpty(outcome.Resources);
    }

    [Fact]
    public void Corpus_HasAtLeastSixtyInvalidDocuments()
    {
        Assert.True(InvalidFiles().Count >= 60, $"only {InvalidFiles().Count} invalid corpus files");
    }

    private static TheoryData<string> Files(string kind)
    {
        var data = new TheoryData<string>();
        var dir = Path.Combine(RepoPaths.Corpus, kind);
        foreach (var file in Directory.EnumerateFiles(dir, "*.yaml").Concat(Directory.EnumerateFiles(dir, "*.json")).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }
}
