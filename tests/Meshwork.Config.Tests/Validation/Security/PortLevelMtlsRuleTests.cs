using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Security;

public sealed class PortLevelMtlsRuleTests
{
    [Fact]
    public void Check_PortLevelWithSelector_IsValid()
    {
        Validate.Valid("""
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata:
              name: finance
              namespace: foo
            spec:
              selector:
                matchLabels:
                  app: finance
              mtls:
                mode: UNSET
              portLevelMtls:
                8080:
                  mode: DISABLE
            """);
    }

    [Fact]
    public void Check_NamespaceWideWithPortLevel_Reports()
    {
        // Istio's CRD test "port-level-global" and validation test "no selector with port level mtls".
        var errors = Validate.Errors("""
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata:
              name: port-level-global
            spec:
              mtls:
                mode: STRICT
              portLevelMtls:
                "80":
                  mode: STRICT
            """);

        Assert.Equal(["test.yaml:8: PeerAuthentication default/port-level-global: spec.portLevelMtls: mesh/namespace peer authentication cannot have port level mTLS; set selector.matchLabels"], errors);
    }

    [Fact]
    public void Check_SelectorWithoutLabelsAndPortLevel_ReportsAndWarns()
    {
        const string Yaml = """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata:
              name: partial
            spec:
              selector: {}
              portLevelMtls:
                8080:
                  mode: DISABLE
            """;

        Assert.Equal(["test.yaml:7: PeerAuthentication default/partial: spec.portLevelMtls: mesh/namespace peer authentication cannot have port level mTLS; set selector.matchLabels"], Validate.Errors(Yaml));
        Assert.Single(Validate.Warnings(Yaml));
    }

    [Fact]
    public void Check_EmptyPortLevelMap_Reports()
    {
        // Istio's CRD test "empty-port-level".
        var errors = Validate.Errors("""
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata:
              name: empty-port-level
            spec:
              selector:
                matchLabels:
                  foo: bar
              portLevelMtls: {}
            """);

        Assert.Equal(["test.yaml:9: PeerAuthentication default/empty-port-level: spec.portLevelMtls: port level mTLS, if defined, must have at least one element"], errors);
    }

    [Fact]
    public void Check_PortsOutOfRange_ReportsEach()
    {
        // Istio's CRD tests "zero-port" and "high-port".
        var errors = Validate.Errors("""
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata:
              name: ports
            spec:
              selector:
                matchLabels:
                  foo: bar
              portLevelMtls:
                "0":
                  mode: STRICT
                "42949672":
                  mode: STRICT
                65535:
                  mode: STRICT
            """);

        Assert.Equal(
        [
            "test.yaml:10: PeerAuthentication default/ports: spec.portLevelMtls[0]: port number 0 must be in the range 1..65535",
            "test.yaml:12: PeerAuthentication default/ports: spec.portLevelMtls[42949672]: port number 42949672 must be in the range 1..65535",
        ], errors);
    }

    [Fact]
    public void Check_NonNumericPortAndBadMode_ReportedByBinder()
    {
        // Istio's CRD tests "bad-port" and "bad-mode".
        var errors = Validate.Errors("""
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata:
              name: bad
            spec:
              selector:
                matchLabels:
                  foo: bar
              mtls:
                mode: BLAH
              portLevelMtls:
                "acd":
                  mode: STRICT
            """);

        Assert.Equal(
        [
            "test.yaml:10: PeerAuthentication default/bad: spec.mtls.mode: unknown value \"BLAH\", expected one of: UNSET, DISABLE, PERMISSIVE, STRICT",
            "test.yaml:12: PeerAuthentication default/bad: spec.portLevelMtls[acd]: map key \"acd\" must be a port number",
        ], errors);
    }
}
