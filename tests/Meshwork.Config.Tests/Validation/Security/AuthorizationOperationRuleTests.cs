using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Security;

public sealed class AuthorizationOperationRuleTests
{
    private static string Policy(string rules) => $"""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: op
        spec:
          rules:
        {rules}
        """;

    [Fact]
    public void Check_ToEmptyOperationMissingOperationEmpty_ReportsEach()
    {
        // Istio's "to-empty", "operation-nil" and "operation-empty".
        var errors = Validate.Errors(Policy("""
              - to: []
              - to:
                - {}
                - operation: {}
            """));

        Assert.Equal(
        [
            "test.yaml:7: AuthorizationPolicy default/op: spec.rules[0].to: must not be empty",
            "test.yaml:9: AuthorizationPolicy default/op: spec.rules[1].to[0]: `operation` is required",
            "test.yaml:10: AuthorizationPolicy default/op: spec.rules[1].to[1].operation: must not be empty",
        ], errors);
    }

    [Fact]
    public void Check_BadPortsAndEmptyStrings_ReportsEach()
    {
        var errors = Validate.Errors(Policy("""
              - to:
                - operation:
                    ports: ["80", "0", "65536", "http", "-1"]
                    notPorts: ["99999999999"]
                    methods: [GET, ""]
                    notHosts: [""]
            """));

        Assert.Equal(
        [
            "test.yaml:9: AuthorizationPolicy default/op: spec.rules[0].to[0].operation.ports[2]: bad port \"65536\": must be a number in 0..65535",
            "test.yaml:9: AuthorizationPolicy default/op: spec.rules[0].to[0].operation.ports[3]: bad port \"http\": must be a number in 0..65535",
            "test.yaml:9: AuthorizationPolicy default/op: spec.rules[0].to[0].operation.ports[4]: bad port \"-1\": must be a number in 0..65535",
            "test.yaml:10: AuthorizationPolicy default/op: spec.rules[0].to[0].operation.notPorts[0]: bad port \"99999999999\": must be a number in 0..65535",
            "test.yaml:11: AuthorizationPolicy default/op: spec.rules[0].to[0].operation.methods[1]: empty value not allowed",
            "test.yaml:12: AuthorizationPolicy default/op: spec.rules[0].to[0].operation.notHosts[0]: empty value not allowed",
        ], errors);
    }

    [Fact]
    public void Check_PathForms_IsValid()
    {
        // The paths of Istio's authz-valid.yaml: exact, prefix, suffix, presence and path templates.
        Validate.Valid(Policy("""
              - to:
                - operation:
                    paths: ["/exact", "/prefix/*", "*/suffix", "*", "/path/template/{*}", "/{**}/path/template"]
                    notPaths: ["/not-exact", "/not-path/template/{*}", "/{**}/not-path/template"]
                    hosts: ["exact.com", "*.suffix.com", "prefix.*", "*"]
                    methods: ["method", "method-prefix-*", "*-suffix-method", "*"]
            """));
    }

    [Theory]
    [InlineData("/foo/{**}/{*}", "invalid or unsupported path /foo/{**}/{*}: {**} is not the last operator")]
    [InlineData("/foo/{bar}", "invalid or unsupported path /foo/{bar}: contains '{' or '}' beyond a supported path template")]
    [InlineData("/{*}/foo/{bar}", "invalid or unsupported path /{*}/foo/{bar}: contains '{' or '}' beyond a supported path template")]
    [InlineData("/{*}/foo*", "invalid or unsupported path /{*}/foo*: contains segment foo* with invalid string literal")]
    [InlineData("/{**}/a//b", "invalid or unsupported path /{**}/a//b: contains segment  with invalid string literal")]
    public void Check_UnsupportedPathTemplate_Reports(string path, string message)
    {
        var errors = Validate.Errors(Policy($"""
              - to:
                - operation:
                    notPaths: ["{path}"]
            """));

        Assert.Equal([$"test.yaml:9: AuthorizationPolicy default/op: spec.rules[0].to[0].operation.notPaths[0]: {message}"], errors);
    }
}
