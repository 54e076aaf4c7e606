using static Meshwork.Config.Tests.Validation.Networking.VirtualServiceYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class UnreachableRouteRuleTests
{
    [Fact]
    public void Check_RulesAfterACatchAll_Warned()
    {
        const string spec = """
            hosts: [foo.bar]
            http:
            - route: [{destination: {host: a}}]
            - name: late
              match: [{uri: {prefix: /x}}]
              route: [{destination: {host: b}}]
            - route: [{destination: {host: c}}]
            """;
        Assert.Empty(Errors(spec));
        Assert.Equal(
            [
                Warning(10, "spec.http[1].match[0]: virtualService rule \"late\" not used (route without matches defined before)"),
                Warning(12, "spec.http[2]: virtualService rule #2 not used (only the last rule can have no matches)"),
            ],
            Warnings(spec));
    }

    [Fact]
    public void Check_DuplicateMatchesIgnoringNames_Warned()
    {
        Assert.Equal(
            [
                Warning(10, "spec.http[1].match[0]: virtualService rule #1 match \"again\" is not used (duplicate/overlapping match in rule #0)"),
                Warning(10, "spec.http[1]: virtualService rule #1 not used (all matches used by prior rules)"),
            ],
            Warnings("""
                hosts: [foo.bar]
                http:
                - match: [{name: first, headers: {end-user: {exact: jason}}, uri: {exact: /a}}]
                  route: [{destination: {host: a}}]
                - match: [{name: again, uri: {exact: /a}, headers: {end-user: {exact: jason}}}]
                  route: [{destination: {host: b}}]
                """));
    }

    [Fact]
    public void Check_PrefixCoveredByAnEarlierPrefix_Warned()
    {
        Assert.Equal(
            [Warning(10, "spec.http[1].match[0]: virtualService rule #1 match #0 of prefix /debugs is not used (duplicate/overlapping match in rule #0 of prefix /debug on #0)")],
            Warnings("""
                hosts: [foo.bar]
                http:
                - match: [{uri: {prefix: /debug}}]
                  route: [{destination: {host: a}}]
                - match: [{uri: {prefix: /debugs}}]
                  route: [{destination: {host: b}}]
                """));
    }

    [Fact]
    public void Check_LongerPrefixFirstOrOtherMethod_NotWarned()
    {
        Assert.Empty(Warnings("""
            hosts: [foo.bar]
            http:
            - match: [{uri: {prefix: /debugs}}]
              route: [{destination: {host: a}}]
            - match: [{uri: {prefix: /debug}}, {uri: {prefix: /debugging}, method: {exact: POST}}]
              route: [{destination: {host: b}}]
            """));
    }

    [Fact]
    public void Check_DuplicateTcpMatch_Warned()
    {
        Assert.Equal(
            [
                Warning(10, "spec.tcp[1].match[0]: virtualService rule #1 match #0 is not used (duplicate/overlapping match in rule #0)"),
                Warning(10, "spec.tcp[1]: virtualService rule #1 not used (all matches used by prior rules)"),
            ],
            Warnings("""
                hosts: [db.example.com]
                tcp:
                - match: [{port: 5432}]
                  route: [{destination: {host: a}}]
                - match: [{port: 5432}]
                  route: [{destination: {host: b}}]
                """));
    }
}
