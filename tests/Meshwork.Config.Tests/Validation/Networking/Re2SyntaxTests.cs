using Meshwork.Config.Validation.Networking;

namespace Meshwork.Config.Tests.Validation.Networking;

public class Re2SyntaxTests
{
    [Theory]
    [InlineData("^/api/v[0-9]+/.*$")]
    [InlineData("(?i)^/Foo")]
    [InlineData("(?P<version>v[0-9]+)")]
    [InlineData("(?<version>v[0-9]+)")]
    [InlineData("(?:a|b)c")]
    [InlineData("(?U)a+")]
    [InlineData("(?i-s:a.)")]
    [InlineData("\\pL+\\p{Greek}\\PN")]
    [InlineData("\\x41\\x{1F600}\\101")]
    [InlineData("\\Qa.b*c\\E+")]
    [InlineData("[[:alpha:]_-]+")]
    [InlineData("[]a]")]
    [InlineData("\\_\\-\\.\\/")]
    [InlineData("a{2,1000}")]
    [InlineData("\\Aab\\z")]
    [InlineData("x{,3}")]
    public void Check_Re2Pattern_Accepted(string pattern) => Assert.Null(Re2Syntax.Check(pattern));

    [Theory]
    [InlineData("(a)\\1", "invalid escape sequence: `\\1`")]
    [InlineData("a(?=b)", "invalid or unsupported Perl syntax: `(?=`")]
    [InlineData("a(?!b)", "invalid or unsupported Perl syntax: `(?!`")]
    [InlineData("(?<=a)b", "invalid or unsupported Perl syntax: `(?<=`")]
    [InlineData("(?>a)", "invalid or unsupported Perl syntax: `(?>`")]
    [InlineData("(?#comment)a", "invalid or unsupported Perl syntax: `(?#`")]
    [InlineData("(?x)a b", "invalid or unsupported Perl syntax: `(?x`")]
    [InlineData("(?i-)a", "invalid or unsupported Perl syntax: `(?i-)`")]
    [InlineData("a\\Z", "invalid escape sequence: `\\Z`")]
    [InlineData("\\Ga", "invalid escape sequence: `\\G`")]
    [InlineData("\\k<n>", "invalid escape sequence: `\\k`")]
    [InlineData("\\e", "invalid escape sequence: `\\e`")]
    [InlineData("[\\b]", "invalid escape sequence: `\\b`")]
    [InlineData("a{1001}", "invalid repeat count: `{1001}`")]
    [InlineData("a{3,2}", "invalid repeat count: `{3,2}`")]
    [InlineData("[a-z", "missing closing ]: `[a-z`")]
    [InlineData("a\\", "trailing backslash at end of expression")]
    public void Check_NotRe2_RejectedWithReason(string pattern, string reason) =>
        Assert.Equal("error parsing regexp: " + reason, Re2Syntax.Check(pattern));

    [Theory]
    [InlineData("(foo")]
    [InlineData("*a")]
    [InlineData("a**")]
    [InlineData("a++")]
    public void Check_StructuralErrorsBothEnginesShare_Rejected(string pattern) => Assert.NotNull(Re2Syntax.Check(pattern));
}
