using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Security;

public sealed class AuthorizationSourceRuleTests
{
    private static string Policy(string rules) => $"""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: src
        spec:
          rules:
        {rules}
        """;

    [Fact]
    public void Check_FromEmptySourceMissingSourceEmpty_ReportsEach()
    {
        // Istio's "from-empty", "source-nil" and "source-empty".
        var errors = Validate.Errors(Policy("""
              - from: []
              - from:
                - {}
                - source: {}
            """));

        Assert.Equal(
        [
            "test.yaml:7: AuthorizationPolicy default/src: spec.rules[0].from: must not be empty",
            "test.yaml:9: AuthorizationPolicy default/src: spec.rules[1].from[0]: `source` is required",
            "test.yaml:10: AuthorizationPolicy default/src: spec.rules[1].from[1].source: must not be empty",
        ], errors);
    }

    [Fact]
    public void Check_EmptyStrings_ReportsEach()
    {
        // Istio's "Principals-empty", "NotRequestPrincipals-empty", "Namespaces-empty", "IpBlocks-empty" ...
        var errors = Validate.Errors(Policy("""
              - from:
                - source:
                    principals: [p1, ""]
                    notRequestPrincipals: [""]
                    notNamespaces: [ns, ""]
                    remoteIpBlocks: [""]
            """));

        Assert.Equal(
        [
            "test.yaml:9: AuthorizationPolicy default/src: spec.rules[0].from[0].source.principals[1]: empty value not allowed",
            "test.yaml:10: AuthorizationPolicy default/src: spec.rules[0].from[0].source.notRequestPrincipals[0]: empty value not allowed",
            "test.yaml:11: AuthorizationPolicy default/src: spec.rules[0].from[0].source.notNamespaces[1]: empty value not allowed",
            "test.yaml:12: AuthorizationPolicy default/src: spec.rules[0].from[0].source.remoteIpBlocks[0]: empty value not allowed",
        ], errors);
    }

    [Fact]
    public void Check_BadIpBlocks_ReportsEach()
    {
        var errors = Validate.Errors(Policy("""
              - from:
                - source:
                    ipBlocks: ["1.2.3.4", "5.6.0.0/16", "10.0.0.1/8", "2001:db8::/32", "1.2.3", "1.2.3.4/33", "x/24", "10.0.0.0/abc"]
                    notRemoteIpBlocks: ["01.2.3.4"]
            """));

        Assert.Equal(
        [
            "test.yaml:9: AuthorizationPolicy default/src: spec.rules[0].from[0].source.ipBlocks[4]: bad IP address \"1.2.3\"",
            "test.yaml:9: AuthorizationPolicy default/src: spec.rules[0].from[0].source.ipBlocks[5]: bad CIDR range \"1.2.3.4/33\": prefix length out of range",
            "test.yaml:9: AuthorizationPolicy default/src: spec.rules[0].from[0].source.ipBlocks[6]: bad CIDR range \"x/24\": invalid address \"x\"",
            "test.yaml:9: AuthorizationPolicy default/src: spec.rules[0].from[0].source.ipBlocks[7]: bad CIDR range \"10.0.0.0/abc\": bad bits after slash \"abc\"",
            "test.yaml:10: AuthorizationPolicy default/src: spec.rules[0].from[0].source.notRemoteIpBlocks[0]: bad IP address \"01.2.3.4\"",
        ], errors);
    }

    [Fact]
    public void Check_ServiceAccountsWithNamespaces_Reports()
    {
        // Istio's CRD test "service-account-and-namespace".
        var errors = Validate.Errors(Policy("""
              - from:
                - source:
                    serviceAccounts: ["bar/sa"]
                    namespaces: ["bar"]
            """));

        Assert.Equal(["test.yaml:8: AuthorizationPolicy default/src: spec.rules[0].from[0].source: cannot set serviceAccounts with namespaces or principals"], errors);
    }

    [Fact]
    public void Check_ServiceAccountsInSeparateSources_IsValid()
    {
        // Istio's CRD test "service-account-and-namespace-principal-split".
        Validate.Valid(Policy("""
              - from:
                - source:
                    serviceAccounts: ["baz/sa", "sa"]
                - source:
                    principals: ["bar"]
                - source:
                    namespaces: ["bar"]
            """));
    }

    [Fact]
    public void Check_BadServiceAccounts_ReportsEach()
    {
        var errors = Validate.Errors(Policy("""
              - from:
                - source:
                    serviceAccounts: ["ns/sa", "", "ns/*", "a/b/c", "/sa", "ns/"]
            """));

        Assert.Equal(
        [
            "test.yaml:9: AuthorizationPolicy default/src: spec.rules[0].from[0].source.serviceAccounts[1]: empty value not allowed",
            "test.yaml:9: AuthorizationPolicy default/src: spec.rules[0].from[0].source.serviceAccounts[2]: wildcard not allowed, got \"ns/*\"",
            "test.yaml:9: AuthorizationPolicy default/src: spec.rules[0].from[0].source.serviceAccounts[3]: expected format 'serviceAccount' or 'namespace/serviceAccount', got \"a/b/c\"",
            "test.yaml:9: AuthorizationPolicy default/src: spec.rules[0].from[0].source.serviceAccounts[4]: expected format 'serviceAccount' or 'namespace/serviceAccount', found empty namespace in \"/sa\"",
            "test.yaml:9: AuthorizationPolicy default/src: spec.rules[0].from[0].source.serviceAccounts[5]: expected format 'serviceAccount' or 'namespace/serviceAccount', found empty serviceAccount in \"ns/\"",
        ], errors);
    }

    [Fact]
    public void Check_SeventeenServiceAccounts_Reports()
    {
        var accounts = string.Join(", ", Enumerable.Range(1, 17).Select(i => $"sa{i}"));

        var errors = Validate.Errors(Policy($"""
              - from:
                - source:
                    notServiceAccounts: [{accounts}]
            """));

        Assert.Equal(["test.yaml:9: AuthorizationPolicy default/src: spec.rules[0].from[0].source.notServiceAccounts: may not have more than 16 values, got 17"], errors);
    }
}
