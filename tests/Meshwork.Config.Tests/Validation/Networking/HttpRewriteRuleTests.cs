using static Meshwork.Config.Tests.Validation.Networking.VirtualServiceYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class HttpRewriteRuleTests
{
    private static string Rewrite(string rewrite) => $"hosts: [foo.bar]\nhttp:\n- route: [{{destination: {{host: foo.baz}}}}]\n  rewrite: {rewrite}";

    [Theory]
    [InlineData("{uri: /path/to/resource, authority: foobar.org}")]
    [InlineData("{uri: /path/to/resource}")]
    [InlineData("{authority: foobar.org}")]
    [InlineData("{uriRegexRewrite: {match: \"^/service/([^/]+)(/.*)$\", rewrite: \"\\\\2/instance/\\\\1\"}}")]
    [InlineData("{authority: foobar.org, uriRegexRewrite: {match: \"^/service/([^/]+)(/.*)$\", rewrite: \"\\\\2/instance/\\\\1\"}}")]
    public void Check_ValidRewrite_Accepted(string rewrite) => Valid(Rewrite(rewrite));

    [Fact]
    public void Check_UriAndRegexRewrite_Rejected()
    {
        Assert.Equal(
            [Error(9, "spec.http[0].rewrite: rewrite may only contain one of uri or uriRegexRewrite")],
            Errors(Rewrite("{uri: /path, uriRegexRewrite: {match: \"^/a\", rewrite: /b}}")));
    }

    [Fact]
    public void Check_EmptyRewrite_Rejected()
    {
        Assert.Equal(
            [Error(9, "spec.http[0].rewrite: rewrite must specify at least one of uri, uriRegexRewrite or authority")],
            Errors(Rewrite("{}")));
    }

    [Theory]
    [InlineData("{rewrite: /b}")]
    [InlineData("{match: \"^/a\"}")]
    public void Check_RegexRewriteMissingAPart_Rejected(string regex)
    {
        Assert.Equal(
            [Error(9, "spec.http[0].rewrite.uriRegexRewrite: uriRegexRewrite requires both match and rewrite to be specified")],
            Errors(Rewrite($"{{uriRegexRewrite: {regex}}}")));
    }

    [Fact]
    public void Check_RegexRewriteNotRe2_Rejected()
    {
        Assert.Equal(
            [Error(9, "spec.http[0].rewrite.uriRegexRewrite.match: invalid regex \"[\": error parsing regexp: missing closing ]: `[`; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)")],
            Errors(Rewrite("{uriRegexRewrite: {match: \"[\", rewrite: \"[\"}}")));
    }
}
