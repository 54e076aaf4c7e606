using static Meshwork.Config.Tests.Validation.Networking.VirtualServiceYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class CorsPolicyRuleTests
{
    // The corsPolicy block opens on spec line 4 (test.yaml line 9); its fields follow.
    private static string Cors(string policy) => $"hosts: [foo.bar]\nhttp:\n- route: [{{destination: {{host: foo.baz}}}}]\n  corsPolicy:\n    {policy}";

    [Fact]
    public void Check_ValidPolicy_Accepted()
    {
        Valid(Cors("allowOrigins: [{exact: exact}, {prefix: prefix}, {regex: \"https://.*\\\\.example\\\\.com\"}]\n    allowMethods: [GET, POST, \"*\"]\n    allowHeaders: [header1, \"*\"]\n    exposeHeaders: [header3]\n    maxAge: 2s\n    allowCredentials: true\n    unmatchedPreflights: IGNORE"));
    }

    [Fact]
    public void Check_BadMethodAndHeaders_Rejected()
    {
        Assert.Equal(
            [
                Error(10, "spec.http[0].corsPolicy.allowMethods[1]: \"PUTT\" is not a supported HTTP method, expected one of: GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT, OPTIONS, TRACE, *"),
                Error(11, "spec.http[0].corsPolicy.allowHeaders[0]: header name \"bad header\" is not a valid header name"),
                Error(12, "spec.http[0].corsPolicy.exposeHeaders[0]: header name cannot be empty"),
            ],
            Errors(Cors("allowMethods: [GET, PUTT]\n    allowHeaders: [\"bad header\"]\n    exposeHeaders: [\"\"]")));
    }

    [Fact]
    public void Check_MaxAgeNotWholeSeconds_Rejected()
    {
        Assert.Equal(
            [Error(10, "spec.http[0].corsPolicy.maxAge: max_age duration is accurate only to seconds precision, got 2.5s")],
            Errors(Cors("maxAge: 2.5s")));
    }

    [Fact]
    public void Check_EmptyOrBadOrigins_Rejected()
    {
        Assert.Equal(
            [
                Error(11, "spec.http[0].corsPolicy.allowOrigins[0]: must set a non-empty exact, prefix or regex to match allowed origins"),
                Error(12, "spec.http[0].corsPolicy.allowOrigins[1]: must set a non-empty exact, prefix or regex to match allowed origins"),
                Error(13, "spec.http[0].corsPolicy.allowOrigins[2]: must set a non-empty exact, prefix or regex to match allowed origins"),
                Error(14, "spec.http[0].corsPolicy.allowOrigins[3]: must set a non-empty exact, prefix or regex to match allowed origins"),
                Error(15, "spec.http[0].corsPolicy.allowOrigins[4].regex: invalid regex \"(?i)http://(?<!www)\": error parsing regexp: invalid or unsupported Perl syntax: `(?<!`; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)"),
            ],
            Errors(Cors("allowOrigins:\n    - {exact: \"\"}\n    - {prefix: \"\"}\n    - {regex: \"\"}\n    - {}\n    - {regex: \"(?i)http://(?<!www)\"}")));
    }
}
