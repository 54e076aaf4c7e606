using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Security;

public sealed class DryRunAnnotationRuleTests
{
    private static string Policy(string action, string value) => $$"""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: dry-run
          annotations:
            istio.io/dry-run: "{{value}}"
        spec:
          action: {{action}}
          rules:
          - {}
        """;

    [Theory]
    [InlineData("ALLOW", "true")]
    [InlineData("DENY", "false")]
    [InlineData("DENY", "T")]
    public void Check_AllowOrDenyWithBoolean_IsValid(string action, string value) => Validate.Valid(Policy(action, value));

    [Fact]
    public void Check_NotABoolean_Reports()
    {
        // Istio's "dry-run-invalid-value".
        Assert.Equal(
            ["test.yaml:6: AuthorizationPolicy default/dry-run: metadata.annotations[istio.io/dry-run]: invalid value \"foo\", expected true or false"],
            Validate.Errors(Policy("ALLOW", "foo")));
    }

    [Fact]
    public void Check_AuditAction_Reports()
    {
        // Istio's "dry-run-invalid-action-audit".
        Assert.Equal(
            ["test.yaml:6: AuthorizationPolicy default/dry-run: metadata.annotations[istio.io/dry-run]: the annotation istio.io/dry-run currently only supports action ALLOW/DENY, found action AUDIT"],
            Validate.Errors(Policy("AUDIT", "true")));
    }

    [Fact]
    public void Check_OnOtherKind_Reports()
    {
        var errors = Validate.Errors("""
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata:
              name: default
              annotations:
                istio.io/dry-run: "true"
            spec:
              mtls:
                mode: STRICT
            """);

        Assert.Equal(["test.yaml:6: PeerAuthentication default/default: metadata.annotations[istio.io/dry-run]: unsupported annotation istio.io/dry-run on PeerAuthentication, please remove the annotation"], errors);
    }
}
