using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Security;

public sealed class AuthorizationConditionRuleTests
{
    private static string Policy(string when) => $"""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: cond
        spec:
          rules:
          - when:
        {when}
        """;

    [Fact]
    public void Check_EveryKeyOfIstiosValidExample_IsValid()
    {
        // The conditions of Istio's authz-valid.yaml, plus the newer attributes.
        Validate.Valid(Policy("""
                - key: "request.headers[X-header]"
                  values: ["header", "header-prefix-*", "*-suffix-header", "*"]
                  notValues: ["not-header"]
                - key: source.ip
                  values: ["10.10.10.10", "192.168.10.0/24"]
                - key: remote.ip
                  notValues: ["90.10.10.10", "90.168.10.0/24"]
                - key: source.namespace
                  values: [ns]
                - key: source.principal
                  values: [principal]
                - key: source.serviceAccount
                  values: [default/productpage, productpage]
                - key: request.auth.principal
                  values: ["https://example.com/*"]
                - key: request.auth.audiences
                  values: [audiences]
                - key: request.auth.presenter
                  values: [presenter]
                - key: request.auth.claims[iss]
                  values: [iss]
                - key: request.auth.claims[nested1][nested2]
                  values: [nested]
                - key: destination.ip
                  values: ["10.10.10.10"]
                - key: destination.port
                  values: ["91", "92"]
                - key: connection.sni
                  values: ["*.suffix.com"]
                - key: experimental.envoy.filters.a.b[c]
                  values: [exact]
                - key: request.experimental.inline.headers[x-b]
                  values: [b]
            """));
    }

    [Fact]
    public void Check_KeyProblems_ReportsEach()
    {
        var errors = Validate.Errors(Policy("""
                - key: ""
                  values: [a]
                - key: request.headers[a]
                - key: foo
                  values: [a]
                  notValues: [b]
                - key: destination.namespace
                  values: [ns]
                - key: destination.labels[app]
                  values: [v1]
                - key: destination.user
                  values: [sa]
                - key: request.headers
                  values: [a]
            """));

        Assert.Equal(
        [
            "test.yaml:8: AuthorizationPolicy default/cond: spec.rules[0].when[0].key: must not be empty",
            "test.yaml:10: AuthorizationPolicy default/cond: spec.rules[0].when[1]: at least one of `values` or `notValues` must be set for key request.headers[a]",
            "test.yaml:11: AuthorizationPolicy default/cond: spec.rules[0].when[2].key: unknown attribute: foo",
            "test.yaml:14: AuthorizationPolicy default/cond: spec.rules[0].when[3].key: attribute destination.namespace is replaced by the metadata.namespace",
            "test.yaml:16: AuthorizationPolicy default/cond: spec.rules[0].when[4].key: attribute destination.labels[app] is replaced by the workload selector",
            "test.yaml:18: AuthorizationPolicy default/cond: spec.rules[0].when[5].key: deprecated attribute destination.user: only supported in v1alpha1",
            "test.yaml:20: AuthorizationPolicy default/cond: spec.rules[0].when[6].key: bad key (request.headers): should have format a[b]",
        ], errors);
    }

    [Fact]
    public void Check_ValueProblems_ReportsEach()
    {
        var errors = Validate.Errors(Policy("""
                - key: source.ip
                  values: ["10.0.0.1", "10.0.0"]
                  notValues: ["10.0.0.0/40"]
                - key: destination.port
                  values: ["80", "eighty"]
                - key: source.serviceAccount
                  notValues: ["ns/*"]
                - key: request.auth.audiences
                  values: [""]
            """));

        Assert.Equal(
        [
            "test.yaml:9: AuthorizationPolicy default/cond: spec.rules[0].when[0].values[1]: bad IP address \"10.0.0\"",
            "test.yaml:10: AuthorizationPolicy default/cond: spec.rules[0].when[0].notValues[0]: bad CIDR range \"10.0.0.0/40\": prefix length out of range",
            "test.yaml:12: AuthorizationPolicy default/cond: spec.rules[0].when[1].values[1]: bad port \"eighty\": must be a number in 0..65535",
            "test.yaml:14: AuthorizationPolicy default/cond: spec.rules[0].when[2].notValues[0]: wildcard not allowed, got \"ns/*\"",
            "test.yaml:16: AuthorizationPolicy default/cond: spec.rules[0].when[3].values[0]: empty value not allowed",
        ], errors);
    }
}
