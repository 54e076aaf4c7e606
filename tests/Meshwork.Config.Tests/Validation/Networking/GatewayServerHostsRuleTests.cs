using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Networking;

public class GatewayServerHostsRuleTests
{
    private static string Gateway(string hosts) => $$"""
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata:
          name: gw
        spec:
          servers:
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: {{hosts}}
        """;

    [Theory]
    [InlineData("[\"foo.bar.com\"]")]
    [InlineData("[\"1.1.1.1\"]")]
    [InlineData("[\"ns1/foo.bar.com\"]")]
    [InlineData("[\"*/foo.bar.com\"]")]
    [InlineData("[\"./foo.bar.com\"]")]
    [InlineData("[\"prod/*\", \"*.example.com\", \"*\"]")]
    public void Check_HostsIstioAccepts_AreValid(string hosts) => Validate.Valid(Gateway(hosts));

    [Fact]
    public void Check_NoHosts_ReportsError() =>
        Assert.Equal(
            ["test.yaml:8: Gateway default/gw: spec.servers[0].hosts: server config must contain at least one host"],
            Validate.Errors(Gateway("[]")));

    [Theory]
    [InlineData("foo", "short names (non FQDN) are not allowed")]
    [InlineData("~/foo.bar.com", "invalid namespace value \"~\" in gateway")]
    [InlineData("*bar.com", "partial wildcard \"*bar.com\" not allowed")]
    public void Check_HostIstioRejects_ReportsError(string host, string message) =>
        Assert.Equal(
            [$"test.yaml:8: Gateway default/gw: spec.servers[0].hosts[0]: invalid host \"{host}\": {message}"],
            Validate.Errors(Gateway($"[\"{host}\"]")));

    [Theory]
    [InlineData("foo.*.bar.com")]
    [InlineData("ns1/foo.*.bar.com")]
    public void Check_WildcardInsideName_ReportsLabelAndPartialWildcard(string host) =>
        Assert.Equal(
            [
                $"test.yaml:8: Gateway default/gw: spec.servers[0].hosts[0]: invalid host \"{host}\": domain name \"*.bar.com\" invalid (label \"*\" invalid)",
                $"test.yaml:8: Gateway default/gw: spec.servers[0].hosts[0]: invalid host \"{host}\": partial wildcard \"foo.*.bar.com\" not allowed",
            ],
            Validate.Errors(Gateway($"[\"{host}\"]")));

    [Fact]
    public void Check_EmptyNamespace_ReportsEmptyPartAndNamespace() =>
        Assert.Equal(
            [
                "test.yaml:8: Gateway default/gw: spec.servers[0].hosts[0]: invalid host \"/foo.com\": config namespace and dnsName in host entry cannot be empty",
                "test.yaml:8: Gateway default/gw: spec.servers[0].hosts[0]: invalid host \"/foo.com\": invalid namespace value \"\" in gateway",
            ],
            Validate.Errors(Gateway("[\"/foo.com\"]")));
}
