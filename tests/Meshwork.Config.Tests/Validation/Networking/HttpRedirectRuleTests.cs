using static Meshwork.Config.Tests.Validation.Networking.VirtualServiceYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class HttpRedirectRuleTests
{
    private static string Redirect(string redirect) => $"hosts: [foo.bar]\nhttp:\n- redirect: {redirect}";

    [Theory]
    [InlineData("{uri: t}")]
    [InlineData("{authority: t}")]
    [InlineData("{uri: t, authority: t, redirectCode: 308}")]
    [InlineData("{scheme: https}")]
    [InlineData("{port: 8443}")]
    [InlineData("{port: 0}")]
    [InlineData("{derivePort: FROM_PROTOCOL_DEFAULT}")]
    [InlineData("{prefixRewrite: /v2}")]
    public void Check_ValidRedirect_Accepted(string redirect) => Valid(Redirect(redirect));

    [Fact]
    public void Check_NothingToRedirectTo_Rejected()
    {
        Assert.Equal(
            [Error(8, "spec.http[0].redirect: redirect must specify uri, prefixRewrite, authority, scheme, port or derivePort")],
            Errors(Redirect("{uri: \"\", authority: \"\"}")));
    }

    [Theory]
    [InlineData(299)]
    [InlineData(400)]
    public void Check_RedirectCodeNot3xx_Rejected(int code)
    {
        Assert.Equal(
            [Error(8, $"spec.http[0].redirect.redirectCode: must be a 3xx redirect code, got {code}")],
            Errors(Redirect($"{{uri: t, redirectCode: {code}}}")));
    }

    [Fact]
    public void Check_BadScheme_Rejected()
    {
        Assert.Equal(
            [Error(8, "spec.http[0].redirect.scheme: invalid redirect scheme, must be \"http\" or \"https\", got \"ftp\"")],
            Errors(Redirect("{scheme: ftp}")));
    }

    [Fact]
    public void Check_PortOutOfRange_Rejected()
    {
        Assert.Equal(
            [Error(8, "spec.http[0].redirect.port: port number 70000 must be in the range 1..65535")],
            Errors(Redirect("{port: 70000}")));
    }

    [Fact]
    public void Check_SeveralProblems_OnlyTheFirstReportedAsInIstio()
    {
        Assert.Equal(
            [Error(8, "spec.http[0].redirect.redirectCode: must be a 3xx redirect code, got 200")],
            Errors(Redirect("{uri: t, redirectCode: 200, scheme: ftp}")));
    }

    [Fact]
    public void Check_UriAndPrefixRewrite_Rejected()
    {
        Assert.Equal(
            [Error(8, "spec.http[0].redirect.prefixRewrite: only one of uri or prefixRewrite may be set")],
            Errors(Redirect("{uri: /a, prefixRewrite: /b}")));
    }
}
