using static Meshwork.Config.Tests.Validation.Networking.VirtualServiceYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class HttpMatchRuleTests
{
    private static string Match(string match) => $"hosts: [foo.bar]\nhttp:\n- route: [{{destination: {{host: foo.baz}}}}]\n  match:\n  - {match}";

    [Theory]
    [InlineData("uri: {prefix: \"\"}")]
    [InlineData("uri: {regex: \"^/api/v[0-9]+/.*\"}")]
    [InlineData("headers: {x-user: {exact: \"\"}, x-any: {}, \":authority\": {prefix: shop}, \"funky!$#_\": {exact: a}}")]
    [InlineData("withoutHeaders: {x-debug: {regex: \"*\"}}")]
    [InlineData("queryParams: {v: {regex: \"\\\\d+$\"}}")]
    [InlineData("method: {exact: GET}")]
    [InlineData("port: 8080")]
    [InlineData("sourceLabels: {app: web, version: v1}")]
    [InlineData("sourceNamespace: test")]
    [InlineData("gateways: [istio-system/public]")]
    public void Check_ValidMatch_Accepted(string match) => Valid(Match(match));

    [Fact]
    public void Check_NullHeaderMatchAndBadHeaderName_Rejected()
    {
        Assert.Equal(
            [
                Error(11, "spec.http[0].match[0].headers[header]: header match cannot be null (use {} to match on presence)"),
                Error(12, "spec.http[0].match[0].headers[illegal\"char]: header name \"illegal\"char\" is not a valid header name"),
                Error(13, "spec.http[0].match[0].headers[::]: header name \"::\" is not a valid header name"),
            ],
            Errors(Match("headers:\n      header:\n      'illegal\"char': {exact: a}\n      \"::\": {exact: a}")));
    }

    [Fact]
    public void Check_EmptyPrefixOutsideUri_Rejected()
    {
        Assert.Equal(
            [
                Error(10, "spec.http[0].match[0].method.prefix: prefix string match should not be empty"),
                Error(11, "spec.http[0].match[0].scheme.prefix: prefix string match should not be empty"),
                Error(12, "spec.http[0].match[0].authority.prefix: prefix string match should not be empty"),
                Error(13, "spec.http[0].match[0].headers[x].prefix: prefix string match should not be empty"),
                Error(14, "spec.http[0].match[0].queryParams[q].prefix: prefix string match should not be empty"),
            ],
            Errors(Match("method: {prefix: \"\"}\n    scheme: {prefix: \"\"}\n    authority: {prefix: \"\"}\n    headers: {x: {prefix: \"\"}}\n    queryParams: {q: {prefix: \"\"}}")));
    }

    [Fact]
    public void Check_EmptyRegex_Rejected()
    {
        Assert.Equal(
            [
                Error(10, "spec.http[0].match[0].uri.regex: regex string match should not be empty"),
                Error(11, "spec.http[0].match[0].method.regex: regex string match should not be empty"),
            ],
            Errors(Match("uri: {regex: \"\"}\n    method: {regex: \"\"}")));
    }

    [Fact]
    public void Check_RegexNotRe2_Rejected()
    {
        Assert.Equal(
            [
                Error(10, "spec.http[0].match[0].uri.regex: invalid regex \"(foo\": error parsing regexp: Invalid pattern '(foo' at offset 4. Not enough )'s.; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)"),
                Error(11, "spec.http[0].match[0].headers[x-id].regex: invalid regex \"(a)\\1\": error parsing regexp: invalid escape sequence: `\\1`; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)"),
                Error(12, "spec.http[0].match[0].authority.regex: invalid regex \"foo(?=bar)\": error parsing regexp: invalid or unsupported Perl syntax: `(?=`; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)"),
            ],
            Errors(Match("uri: {regex: \"(foo\"}\n    headers: {x-id: {regex: \"(a)\\\\1\"}}\n    authority: {regex: \"foo(?=bar)\"}")));
    }

    [Fact]
    public void Check_RegexOver1024Characters_Rejected()
    {
        var regex = new string('a', 1025);
        Assert.Equal(
            [Error(10, "spec.http[0].match[0].uri.regex: regex is too large, max length allowed is 1024, got 1025")],
            Errors(Match($"uri: {{regex: {regex}}}")));
    }

    [Fact]
    public void Check_PortLabelsNamespaceAndGateway_Rejected()
    {
        Assert.Equal(
            [
                Error(10, "spec.http[0].match[0].port: port number 70000 must be in the range 1..65535"),
                Error(11, "spec.http[0].match[0].sourceLabels[\"bad key]: invalid tag key: \"\"bad key\""),
                Error(12, "spec.http[0].match[0].sourceNamespace: invalid source namespace \"Not_A_Label\": must be a DNS-1123 label"),
                Error(13, "spec.http[0].match[0].gateways[0]: invalid namespace \"x_y\" in gateway \"x_y/gw\": must be a DNS-1123 label"),
            ],
            Errors(Match("port: 70000\n    sourceLabels: {'\"bad key': v}\n    sourceNamespace: Not_A_Label\n    gateways: [x_y/gw]")));
    }

    [Fact]
    public void Check_JwtClaimHeaderForMesh_Rejected()
    {
        Assert.Equal(
            [
                Error(10, "spec.http[0].match[0].headers[@request.auth.claims.group]: JWT claim based routing is only supported for gateways: list the gateways in spec.gateways, without mesh"),
                Error(11, "spec.http[0].match[0].withoutHeaders[@request.auth.claims[sub]]: JWT claim based routing is only supported for gateways: list the gateways in spec.gateways, without mesh"),
            ],
            Errors(Match("headers: {\"@request.auth.claims.group\": {exact: admin}}\n    withoutHeaders: {\"@request.auth.claims[sub]\": {exact: bob}}")));
    }

    [Fact]
    public void Check_JwtClaimHeaderOnGateway_Accepted()
    {
        Valid("""
            hosts: [foo.bar]
            gateways: [istio-system/public]
            http:
            - match: [{headers: {"@request.auth.claims.group": {exact: admin}}}]
              route: [{destination: {host: foo.baz}}]
            """);
    }
}
