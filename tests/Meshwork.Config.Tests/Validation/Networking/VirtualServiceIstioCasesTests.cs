using static Meshwork.Config.Tests.Validation.Networking.VirtualServiceYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

/// <summary>Istio's TestValidateVirtualService and TestValidateChainingVirtualService cases: valid or not, warned or not.</summary>
public class VirtualServiceIstioCasesTests
{
    private const string Route = "http:\n- route: [{destination: {host: foo.baz}}]";

    public static TheoryData<string, string, bool, bool> Cases() => new()
    {
        { "simple", $"hosts: [foo.bar]\n{Route}", true, false },
        {
            "allow sni based domains",
            "hosts: [outbound_.15010_._.istiod.istio-system.svc.cluster.local]\ngateways: [ns1/gateway]\ntls:\n- match: [{sniHosts: [outbound_.15010_._.istiod.istio-system.svc.cluster.local]}]\n  route: [{destination: {host: istio.istio-system.svc.cluster.local}}]",
            true, false
        },
        { "duplicate hosts", $"hosts: [\"*.foo.bar\", \"*.bar\"]\n{Route}", false, false },
        { "with no destination", "hosts: [\"*.foo.bar\", \"*.bar\"]\nhttp:\n- route: [{}]", false, false },
        { "destination without host", "hosts: [foo.bar]\nhttp:\n- route: [{destination: {}}]", false, false },
        { "delegate with no hosts", Route, true, false },
        { "bad host", $"hosts: [foo.ba!r]\n{Route}", false, false },
        { "no tcp or http routing", "hosts: [foo.bar]", false, false },
        { "bad gateway", $"hosts: [foo.bar]\ngateways: [b@dgateway]\n{Route}", false, false },
        { "FQDN for gateway", $"hosts: [foo.bar]\ngateways: [gateway.example.com]\n{Route}", true, true },
        { "namespace/name for gateway", $"hosts: [foo.bar]\ngateways: [ns1/gateway]\n{Route}", true, false },
        { "namespace/* for gateway", $"hosts: [foo.bar]\ngateways: [\"ns1/*\"]\n{Route}", false, false },
        { "*/name for gateway", $"hosts: [foo.bar]\ngateways: [\"*/gateway\"]\n{Route}", false, false },
        { "wildcard for mesh gateway", $"hosts: [\"*\"]\n{Route}", false, false },
        { "wildcard for non-mesh gateway", $"hosts: [\"*\"]\ngateways: [somegateway]\n{Route}", true, false },
        { "missing tcp route", "hosts: [foo.bar]\ntcp:\n- match: [{port: 999}]", false, false },
        { "missing tls route", "hosts: [foo.bar]\ntls:\n- match: [{port: 999, sniHosts: [foo.bar]}]", false, false },
        { "deprecated mirror", "hosts: [foo.bar]\ngateways: [ns1/gateway]\nhttp:\n- mirrorPercent: 5\n  route: [{destination: {host: foo.baz}}]", true, true },
        { "set authority", "hosts: [foo.bar]\nhttp:\n- headers: {request: {set: {\":authority\": foo}}}\n  route: [{destination: {host: foo.baz}}]", true, false },
        { "set authority in destination", "hosts: [foo.bar]\nhttp:\n- route: [{destination: {host: foo.baz}, headers: {request: {set: {\":authority\": foo}}}}]", true, false },
        { "set authority in rewrite and header", "hosts: [foo.bar]\nhttp:\n- headers: {request: {set: {\":authority\": foo}}}\n  rewrite: {authority: bar}\n  route: [{destination: {host: foo.baz}}]", false, false },
        {
            "non-method-get",
            "hosts: [foo.bar]\nhttp:\n- route: [{destination: {host: foo.baz}}]\n  match:\n  - uri: {prefix: /api/v1/product}\n  - uri: {prefix: /api/v1/products}\n    method: {exact: GET}",
            true, true
        },
        {
            "uri-with-prefix-exact",
            "hosts: [foo.bar]\nhttp:\n- route: [{destination: {host: foo.baz}}]\n  match:\n  - uri: {prefix: /}\n  - uri: {exact: /}\n    method: {exact: GET}",
            true, false
        },
        {
            "jwt claim route without gateway",
            "hosts: [foo.bar]\ngateways: [mesh]\nhttp:\n- route: [{destination: {host: foo.baz}}]\n  match: [{uri: {prefix: /}, headers: {\"@request.auth.claims.foo\": {exact: bar}}}]",
            false, false
        },
        { "ip address as sni host", "hosts: [foo.bar]\ntls:\n- route: [{destination: {host: foo.baz}}]\n  match: [{port: 999, sniHosts: [1.1.1.1]}]", true, true },
        { "invalid wildcard as sni host", "hosts: [foo.bar]\ntls:\n- route: [{destination: {host: foo.baz}}]\n  match: [{port: 999, sniHosts: [\"foo.*.com\"]}]", false, false },
        { "root simple", "hosts: [foo.bar]\ngateways: [test-gateway]\nhttp:\n- delegate: {name: test, namespace: test}", true, false },
        { "root applies to sidecar with delegate", "hosts: [foo.bar]\nhttp:\n- delegate: {name: test, namespace: test}", true, false },
        { "root with delegate and destination in one route", "hosts: [foo.bar]\nhttp:\n- delegate: {name: test, namespace: test}\n  route: [{destination: {host: foo.baz}}]", false, false },
        { "delegate with no destination", "hosts: []\nhttp:\n- name: empty", false, false },
        { "delegate with delegate", "http:\n- delegate: {name: test, namespace: test}", false, false },
        { "delegate with TCP route", "tcp:\n- route: [{destination: {host: foo.baz}}]", false, false },
        { "delegate with gateway", $"gateways: [test]\n{Route}", false, false },
        { "delegate with sourceNamespace", "http:\n- match: [{sourceNamespace: test}]\n  route: [{destination: {host: foo.baz}}]", true, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Validate_IstioCase_SameVerdictAsIstio(string name, string spec, bool valid, bool warned)
    {
        Assert.True(valid == (Errors(spec).Length == 0), $"{name}: errors {string.Join(" | ", Errors(spec))}");
        Assert.True(warned == (Warnings(spec).Length > 0), $"{name}: warnings {string.Join(" | ", Warnings(spec))}");
    }

    [Fact]
    public void Validate_PrefixCoveredInTheSameRule_WarnsAsIstio()
    {
        Assert.Equal(
            [Warning(11, "spec.http[0].match[1]: virtualService rule #0 match #1 of prefix /api/v1/products is not used (duplicate/overlapping match in rule #0 of prefix /api/v1/product on #0)")],
            Warnings("hosts: [foo.bar]\nhttp:\n- route: [{destination: {host: foo.baz}}]\n  match:\n  - uri: {prefix: /api/v1/product}\n  - uri: {prefix: /api/v1/products}\n    method: {exact: GET}"));
    }
}
