using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Security;

public sealed class PolicyTargetRuleTests
{
    [Fact]
    public void Check_SelectorAndTargetRef_ReportsOnlyOne()
    {
        // Istio's "target-ref-and-selector-cannot-both-be-set".
        var errors = Validate.Errors("""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: both
            spec:
              selector:
                matchLabels:
                  app: httpbin
              targetRef:
                group: gateway.networking.k8s.io
                kind: Gateway
                name: foo
            """);

        Assert.Equal(["test.yaml:9: AuthorizationPolicy default/both: spec.targetRef: only one of selector, targetRef or targetRefs can be set"], errors);
    }

    [Fact]
    public void Check_TargetRefAndTargetRefs_ReportsOnlyOne()
    {
        // Istio's CRD test "multi-refs", which also sets a namespace on both references.
        var errors = Validate.Errors("""
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata:
              name: multi-refs
            spec:
              targetRefs:
              - group: ""
                kind: Service
                name: foo
                namespace: bar
              targetRef:
                group: ""
                kind: Service
                name: foo
            """);

        Assert.Equal(
        [
            "test.yaml:6: RequestAuthentication default/multi-refs: spec.targetRefs: only one of selector, targetRef or targetRefs can be set",
            "test.yaml:10: RequestAuthentication default/multi-refs: spec.targetRefs[0].namespace: must not be set; cross namespace referencing is not supported",
        ], errors);
    }

    [Fact]
    public void Check_TargetRefsToService_IsValid()
    {
        Validate.Valid("""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: svc
            spec:
              action: DENY
              targetRefs:
              - kind: Service
                name: foo
              - group: networking.istio.io
                kind: ServiceEntry
                name: bar
              - group: gateway.networking.k8s.io
                kind: GatewayClass
                name: istio-waypoint
              rules:
              - to:
                - operation:
                    ports: ["8080"]
            """);
    }

    [Fact]
    public void Check_TargetRefWrongGroupKindAndNoName_ReportsEach()
    {
        var errors = Validate.Errors("""
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata:
              name: refs
            spec:
              targetRefs:
              - group: wrong-group
                kind: Gateway
                name: foo
              - group: gateway.networking.k8s.io
                kind: wrong-kind
              - kind: Gateway
                name: core-gateway
            """);

        const string Allowed = "must reference one of core/Service, networking.istio.io/ServiceEntry, gateway.networking.k8s.io/Gateway, gateway.networking.k8s.io/GatewayClass";
        Assert.Equal(
        [
            $"test.yaml:8: Telemetry default/refs: spec.targetRefs[0].kind: {Allowed}, got wrong-group/Gateway",
            "test.yaml:10: Telemetry default/refs: spec.targetRefs[1].name: must be set",
            $"test.yaml:11: Telemetry default/refs: spec.targetRefs[1].kind: {Allowed}, got gateway.networking.k8s.io/wrong-kind",
            $"test.yaml:12: Telemetry default/refs: spec.targetRefs[2].kind: {Allowed}, got core/Gateway",
        ], errors);
    }

    [Fact]
    public void Check_SelectorEmptyKeyAndWildcards_ReportsIstioMessages()
    {
        // Istio's "selector-empty-key", "selector-wildcard-value" and "selector-wildcard-key".
        var errors = Validate.Errors("""
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata:
              name: selectors
            spec:
              selector:
                matchLabels:
                  "": v1
                  app: httpbin-*
                  app-*: httpbin
                  version: v1
            """);

        Assert.Equal(
        [
            "test.yaml:8: PeerAuthentication default/selectors: spec.selector.matchLabels[]: empty key is not supported in selector: \"=v1\"",
            "test.yaml:9: PeerAuthentication default/selectors: spec.selector.matchLabels[app]: wildcard is not supported in selector: \"app=httpbin-*\"",
            "test.yaml:10: PeerAuthentication default/selectors: spec.selector.matchLabels[app-*]: wildcard is not supported in selector: \"app-*=httpbin\"",
        ], errors);
    }

    [Fact]
    public void Check_SelectorLabelSyntax_ReportsLabelErrors()
    {
        var errors = Validate.Errors("""
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata:
              name: labels
            spec:
              selector:
                matchLabels:
                  "bad key": x
                  app: "-bad-"
            """);

        Assert.Equal(
        [
            "test.yaml:8: RequestAuthentication default/labels: spec.selector.matchLabels[bad key]: invalid tag key: \"bad key\"",
            "test.yaml:9: RequestAuthentication default/labels: spec.selector.matchLabels[app]: invalid tag value: \"-bad-\"",
        ], errors);
    }

    [Fact]
    public void Check_SelectorWithEmptyValue_IsValid()
    {
        // Istio's "selector-empty-value".
        Validate.Valid("""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: empty-value
            spec:
              selector:
                matchLabels:
                  app: ""
                  version: v1
            """);
    }

    [Fact]
    public void Check_SelectorWithoutLabels_Warns()
    {
        // Istio's "selector-empty-labels": valid, with a warning.
        const string Yaml = """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: no-labels
            spec:
              selector: {}
            """;

        Assert.Empty(Validate.Errors(Yaml));
        Assert.Equal(["test.yaml:6: warning: AuthorizationPolicy default/no-labels: spec.selector: workload selector specified without labels; the policy applies to every workload in the namespace"], Validate.Warnings(Yaml));
    }
}
