using Meshwork.Config.Tests.Support;
using static Meshwork.Config.Tests.Validation.Networking.SidecarYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class SidecarEgressRuleTests
{
    [Theory]
    [InlineData("{hosts: [\"*/*\"]}")]
    [InlineData("{hosts: [\"./*\", \"istio-system/*\", \"~/*\", \"prod/*.example.com\", \"*/foo.example.com\"]}")]
    [InlineData("{port: {number: 8080, protocol: HTTP}, bind: 127.0.0.1, captureMode: NONE, hosts: [\"*/*\"]}")]
    [InlineData("{port: {number: 0, protocol: HTTP}, bind: \"unix:///var/run/egress.sock\", hosts: [\"*/*\"]}")]
    public void Check_ValidListener_Accepted(string listener) => Validate.Valid(Header + "  egress:\n  - " + listener + "\n");

    [Fact]
    public void Check_CatchAllNotLast_Rejected() =>
        Assert.Equal([At(7, "spec.egress[0].port: the egress listener with empty port should be the last listener in the list")], Validate.Errors(Header + """
              egress:
              - hosts: ["*/*"]
              - port: {number: 80}
                hosts: ["*/*"]
            """));

    [Fact]
    public void Check_DuplicatePortsAndSockets_Rejected() =>
        Assert.Equal(
            [
                At(9, "spec.egress[1].port.number: ports on IP bound listeners must be unique, got 80 again"),
                At(15, "spec.egress[3].bind: unix domain socket values for listeners must be unique, got unix:///s.sock again"),
            ],
            Validate.Errors(Header + """
                  egress:
                  - port: {number: 80}
                    hosts: ["*/*"]
                  - port: {number: 80}
                    hosts: ["*/*"]
                  - port: {number: 0}
                    bind: "unix:///s.sock"
                    hosts: ["*/*"]
                  - port: {number: 0}
                    bind: "unix:///s.sock"
                    hosts: ["*/*"]
                """));

    [Fact]
    public void Check_UnixSocketListener_Checked() =>
        Assert.Equal(
            [
                At(9, "spec.egress[0].bind: ports with 0 value must have a unix domain socket bind address"),
                At(10, "spec.egress[0].captureMode: captureMode must be DEFAULT/NONE for unix domain socket listeners"),
            ],
            Validate.Errors(Header + """
                  egress:
                  - port:
                      number: 0
                    bind: 127.0.0.1
                    captureMode: IPTABLES
                    hosts: ["*/*"]
                """));

    [Fact]
    public void Check_BadHosts_Rejected() =>
        Assert.Equal(
            [
                At(8, "spec.egress[0].hosts: egress listener must contain at least one host"),
                At(10, "spec.egress[1].hosts[0]: invalid host \"foo.com\": host must be of form namespace/dnsName"),
                At(11, "spec.egress[1].hosts[1]: invalid host \"ns/foo\": short names (non FQDN) are not allowed"),
                At(12, "spec.egress[1].hosts[2]: invalid host \"ns_1/foo.com\": invalid namespace value \"ns_1\" in sidecar"),
                At(13, "spec.egress[1].hosts[3]: invalid host \"ns/*foo.com\": partial wildcard \"*foo.com\" not allowed"),
            ],
            Validate.Errors(Header + """
                  egress:
                  - port: {number: 80}
                    hosts: []
                  - hosts:
                    - foo.com
                    - ns/foo
                    - ns_1/foo.com
                    - ns/*foo.com
                """));

    [Fact]
    public void Check_OverlappingHosts_Warns()
    {
        var yaml = Header + """
              egress:
              - hosts:
                - "./a.example.com"
                - "default/a.example.com"
                - "prod/*"
                - "prod/b.example.com"
                - "*/*"
            """;

        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal(
            [
                Warning(7, "spec.egress[0].hosts: `*/*` host select all resources, no other hosts can be added"),
                Warning(9, "spec.egress[0].hosts[1]: duplicated egress host: default/a.example.com"),
                Warning(11, "spec.egress[0].hosts[3]: duplicated egress host: prod/b.example.com"),
            ],
            Validate.Warnings(yaml));
    }
}
