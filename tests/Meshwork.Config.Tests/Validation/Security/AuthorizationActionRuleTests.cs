using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Security;

public sealed class AuthorizationActionRuleTests
{
    [Fact]
    public void Check_CustomWithProviderAndRule_IsValid()
    {
        // Istio's "custom-good".
        Validate.Valid("""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: ext-authz
            spec:
              action: CUSTOM
              provider:
                name: my-custom-authz
              rules:
              - {}
            """);
    }

    [Fact]
    public void Check_CustomWithoutRules_ReportsRulesOnly()
    {
        var errors = Validate.Errors("""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: ext-authz
            spec:
              action: CUSTOM
            """);

        Assert.Equal(["test.yaml:6: AuthorizationPolicy default/ext-authz: spec.action: CUSTOM action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request"], errors);
    }

    [Fact]
    public void Check_CustomWithoutProvider_Reports()
    {
        // Istio's "custom-nil-provider" and "custom-empty-provider".
        var errors = Validate.Errors("""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: ext-authz
            spec:
              action: CUSTOM
              rules:
              - {}
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: ext-authz-empty
            spec:
              action: CUSTOM
              provider:
                name: ""
              rules:
              - {}
            """);

        Assert.Equal(
        [
            "test.yaml:6: AuthorizationPolicy default/ext-authz: spec.action: CUSTOM action requires `provider.name`, the extension provider to delegate to",
            "test.yaml:17: AuthorizationPolicy default/ext-authz-empty: spec.provider.name: must not be empty with action CUSTOM",
        ], errors);
    }

    [Fact]
    public void Check_CustomMatchingOnIdentities_ReportsEachField()
    {
        // Istio's "custom-invalid-rule".
        var errors = Validate.Errors("""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: ext-authz
            spec:
              action: CUSTOM
              provider:
                name: my-custom-authz
              rules:
              - from:
                - source:
                    namespaces: [ns]
                    notPrincipals: [id]
                    requestPrincipals: [req]
                    ipBlocks: ["10.0.0.0/8"]
                when:
                - key: source.namespace
                  values: [ns1]
                - key: request.auth.claims[a]
                  values: [claims1]
                - key: request.headers[x-a]
                  values: [b]
            """);

        Assert.Equal(
        [
            "test.yaml:12: AuthorizationPolicy default/ext-authz: spec.rules[0].from[0].source.namespaces: is currently not supported with CUSTOM action",
            "test.yaml:13: AuthorizationPolicy default/ext-authz: spec.rules[0].from[0].source.notPrincipals: is currently not supported with CUSTOM action",
            "test.yaml:14: AuthorizationPolicy default/ext-authz: spec.rules[0].from[0].source.requestPrincipals: is currently not supported with CUSTOM action",
            "test.yaml:17: AuthorizationPolicy default/ext-authz: spec.rules[0].when[0].key: source.namespace is currently not supported with CUSTOM action",
            "test.yaml:19: AuthorizationPolicy default/ext-authz: spec.rules[0].when[1].key: request.auth.claims[a] is currently not supported with CUSTOM action",
        ], errors);
    }

    [Fact]
    public void Check_ProviderWithAllow_Reports()
    {
        // Istio's "provider-wrong-action".
        var errors = Validate.Errors("""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: wrong
            spec:
              action: ALLOW
              provider:
                name: ""
              rules:
              - {}
            """);

        Assert.Equal(["test.yaml:7: AuthorizationPolicy default/wrong: spec.provider: must only be set with action CUSTOM, found ALLOW"], errors);
    }

    [Fact]
    public void Check_DenyWithoutRules_Reports()
    {
        // Istio's "deny-rules-nil"; an empty list reads as unset, as with protojson.
        var errors = Validate.Errors("""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: deny
            spec:
              action: DENY
              rules: []
            """);

        Assert.Equal(["test.yaml:7: AuthorizationPolicy default/deny: spec.rules: DENY action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request"], errors);
    }

    [Theory]
    [InlineData("ALLOW")]
    [InlineData("AUDIT")]
    public void Check_AllowOrAuditWithoutRules_IsValid(string action)
    {
        // Istio's "allow-rules-nil": ALLOW with no rules denies everything in scope, on purpose.
        Validate.Valid($"""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: allow-nothing
            spec:
              action: {action}
            """);
    }
}
