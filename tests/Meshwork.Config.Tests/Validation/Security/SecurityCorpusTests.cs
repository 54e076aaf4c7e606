using System.Text.RegularExpressions;
using Meshwork.Config.Validation;

namespace Meshwork.Config.Tests.Validation.Security;

/// <summary>
/// Runs this group's corpus files (peerauthentication-, requestauthentication-, authorizationpolicy-,
/// telemetry-): each invalid file must give exactly the errors its <c># expect:</c> lines list,
/// each valid file none.
/// </summary>
public sealed partial class SecurityCorpusTests
{
    private static readonly string[] Prefixes = ["peerauthentication-", "requestauthentication-", "authorizationpolicy-", "telemetry-"];

    public static TheoryData<string> InvalidFiles() => Files("invalid");

    public static TheoryData<string> ValidFiles() => Files("valid");

    [Theory]
    [MemberData(nameof(InvalidFiles))]
    public void Validate_InvalidCorpusFile_ReportsExactlyTheExpectedErrors(string name)
    {
        var path = Path.Combine(SecurityTestFiles.CorpusDirectory("invalid"), name);
        var text = File.ReadAllText(path);
        var expected = text.Split('\n').Select(l => Expect().Match(l)).Where(m => m.Success).Select(m => $"{name}:{m.Groups[1].Value}").ToArray();
        Assert.NotEmpty(expected);

        var actual = ConfigValidator.ValidateText(text, name).Errors.Select(d => d.ToString()).ToArray();

        Assert.Equal(expected.Order(StringComparer.Ordinal), actual.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ValidFiles))]
    public void Validate_ValidCorpusFile_HasNoErrors(string name)
    {
        var path = Path.Combine(SecurityTestFiles.CorpusDirectory("valid"), name);
        var outcome = ConfigValidator.ValidateText(File.ReadAllText(path), name);

        Assert.Empty(outcome.Errors.Select(d => d.ToString()));
        Assert.NotEmpty(outcome.Resources);
    }

    [Fact]
    public void Corpus_InvalidFiles_AtLeastEighteen()
    {
        Assert.True(InvalidFiles().Count >= 18, $"expected at least 18 invalid corpus files, got {InvalidFiles().Count}");
    }

    private static TheoryData<string> Files(string kind)
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(SecurityTestFiles.CorpusDirectory(kind), "*.yaml").Select(Path.GetFileName).Order(StringComparer.Ordinal))
        {
            if (Prefixes.Any(p => file!.StartsWith(p, StringComparison.Ordinal)))
            {
                data.Add(file!);
            }
        }

        return data;
    }

    [GeneratedRegex(@"^# expect: (\d+: .*?)\r?$")]
    private static partial Regex Expect();
}
