using Meshwork.Config.Validation;

namespace Meshwork.Config.Tests.Validation.Networking;

/// <summary>
/// Runs the VirtualService corpus: each invalid file lists its errors in <c># expect: LINE: REST</c> comment
/// lines (REST is the diagnostic after <c>FILE:</c>), and must produce exactly those, in order; each valid
/// file must produce no error.
/// </summary>
public class VirtualServiceCorpusTests
{
    private const string Expect = "# expect: ";

    public static TheoryData<string> InvalidFiles() => Files("invalid");

    public static TheoryData<string> ValidFiles() => Files("valid");

    [Fact]
    public void Corpus_InvalidVirtualServiceFiles_AtLeastEighteen() => Assert.True(InvalidFiles().Count >= 18);

    [Theory]
    [MemberData(nameof(InvalidFiles))]
    public void Validate_InvalidFile_ReportsExactlyTheExpectedErrors(string name)
    {
        var text = File.ReadAllText(Path.Combine(VirtualServiceFiles.CorpusDirectory, "invalid", name));
        var expected = text.Split('\n').Where(l => l.StartsWith(Expect, StringComparison.Ordinal)).Select(l => l[Expect.Length..].TrimEnd('\r')).ToArray();
        Assert.NotEmpty(expected);

        var actual = ConfigValidator.ValidateText(text, name).Errors.Select(d => d.ToString()[(name.Length + 1)..]).ToArray();

        Assert.Equal(string.Join("\n", expected), string.Join("\n", actual));
    }

    [Theory]
    [MemberData(nameof(ValidFiles))]
    public void Validate_ValidFile_HasNoErrors(string name)
    {
        var outcome = ConfigValidator.ValidateText(File.ReadAllText(Path.Combine(VirtualServiceFiles.CorpusDirectory, "valid", name)), name);
        Assert.NotEmpty(outcome.Resources);
        Assert.Empty(outcome.Errors.Select(d => d.ToString()));
    }

    private static TheoryData<string> Files(string folder)
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(VirtualServiceFiles.CorpusDirectory, folder), "virtualservice-*.yaml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }
}
