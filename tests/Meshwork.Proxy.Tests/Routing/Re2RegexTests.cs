using Meshwork.Proxy.Routing;

namespace Meshwork.Proxy.Tests.Routing;

public sealed class Re2RegexTests
{
    [Theory]
    [InlineData(@"/api/(?P<id>\d+)", @"/api/(?<id>\d+)")]
    [InlineData(@"\Qa.b*c\E/x", @"a\.b\*c/x")]
    [InlineData(@"/v\Q1.0", @"/v1\.0")]
    [InlineData(@"\\Q", @"\\Q")]
    [InlineData(@"\d\Q(\E\w", @"\d\(\w")]
    public void Translate_Re2Syntax_BecomesDotNetSyntax(string re2, string expected) => Assert.Equal(expected, Re2Regex.Translate(re2));

    [Fact]
    public void FullMatch_QuotedLiteral_MatchesItLiterally()
    {
        var regex = Re2Regex.FullMatch(new Envoy.Type.Matcher.V3.RegexMatcher { Regex = @"/files/\Q*.tar.gz\E" }, "test");

        Assert.Matches(regex, "/files/*.tar.gz");
        Assert.DoesNotMatch(regex, "/files/x.tar.gz");
    }
}
