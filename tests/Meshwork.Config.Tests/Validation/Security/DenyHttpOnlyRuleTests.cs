using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Security;

public sealed class DenyHttpOnlyRuleTests
{
    private static string Deny(string rules) => $"""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: deny
        spec:
          action: DENY
          rules:
        {rules}
        """;

    private const string Warning = "configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of only HTTP attributes in a DENY rule; it is recommended to explicitly specify the port";

    [Fact]
    public void Check_DenyOnMethodsOnly_Warns()
    {
        var yaml = Deny("""
              - to:
                - operation:
                    methods: [POST]
            """);

        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal([$"test.yaml:8: warning: AuthorizationPolicy default/deny: spec.rules[0]: {Warning}"], Validate.Warnings(yaml));
    }

    [Fact]
    public void Check_DenyOnRequestPrincipalsOnly_Warns()
    {
        var yaml = Deny("""
              - from:
                - source:
                    notRequestPrincipals: ["*"]
            """);

        Assert.Equal([$"test.yaml:8: warning: AuthorizationPolicy default/deny: spec.rules[0]: {Warning}"], Validate.Warnings(yaml));
    }

    [Theory]
    [InlineData("""
              - to:
                - operation:
                    methods: [POST]
                    ports: ["8080"]
            """)]
    [InlineData("""
              - from:
                - source:
                    namespaces: [dev]
            """)]
    [InlineData("""
              - from:
                - source:
                    namespaces: [dev]
                to:
                - operation:
                    notPorts: ["15021"]
            """)]
    public void Check_DenyScopedToTcpAttributes_DoesNotWarn(string rules)
    {
        Assert.Empty(Validate.Warnings(Deny(rules)));
    }

    [Fact]
    public void Check_AllowOnMethodsOnly_DoesNotWarn()
    {
        Assert.Empty(Validate.Warnings("""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: allow
            spec:
              rules:
              - to:
                - operation:
                    methods: [GET]
            """));
    }
}
