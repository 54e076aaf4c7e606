using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Networking;

public class ServiceEntryPortsRuleTests
{
    private static string Entry(string ports, string rest = "resolution: DNS", string labels = "{}") => $$"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: se
          labels: {{labels}}
        spec:
          hosts: [google.com]
          ports:
        {{ports}}
          {{rest}}
        """;

    [Fact]
    public void Check_DuplicateNameAndNumber_ReportsBoth() =>
        Assert.Equal(
            [
                "test.yaml:10: ServiceEntry default/se: spec.ports[1].name: service entry port name \"http\" already defined",
                "test.yaml:10: ServiceEntry default/se: spec.ports[1].number: service entry port 80 already defined",
            ],
            Validate.Errors(Entry("  - {number: 80, name: http, protocol: HTTP}\n  - {number: 80, name: http, protocol: HTTP}")));

    [Fact]
    public void Check_RepeatedTargetPort_IsValid() =>
        Validate.Valid(Entry("  - {number: 80, name: a, protocol: http, targetPort: 80}\n  - {number: 81, name: b, protocol: http, targetPort: 80}"));

    [Fact]
    public void Check_TargetPortOutOfRange_ReportsError() =>
        Assert.Equal(
            ["test.yaml:9: ServiceEntry default/se: spec.ports[0].targetPort: port number 65536 must be in the range 1..65535"],
            Validate.Errors(Entry("  - {number: 80, name: http-valid1, protocol: http, targetPort: 65536}")));

    [Fact]
    public void Check_BadNameProtocolAndNumber_ReportsEach() =>
        Assert.Equal(
            [
                "test.yaml:9: ServiceEntry default/se: spec.ports[0].name: invalid port name \"http_1\": must be a DNS-1123 label",
                "test.yaml:9: ServiceEntry default/se: spec.ports[0].protocol: unsupported protocol \"kafka\", expected one of HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, HTTP_PROXY, TCP, TLS, UDP, MONGO, MYSQL, REDIS (or unset to sniff)",
                "test.yaml:9: ServiceEntry default/se: spec.ports[0].number: port number 0 must be in the range 1..65535",
            ],
            Validate.Errors(Entry("  - {number: 0, name: http_1, protocol: kafka}")));

    [Fact]
    public void Check_TcpPortWithoutAddressAndResolutionNone_Warns()
    {
        var yaml = Entry("  - {number: 80, name: http, protocol: http}\n  - {number: 81, name: tcp, protocol: TCP}\n  - {number: 82, name: sniffed}", "resolution: NONE");
        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal(
            [
                "test.yaml:10: warning: ServiceEntry default/se: spec.ports[1]: addresses are required for ports serving TCP (or unset) protocol when IP Autoallocation is not enabled",
                "test.yaml:11: warning: ServiceEntry default/se: spec.ports[2]: addresses are required for ports serving TCP (or unset) protocol when IP Autoallocation is not enabled",
            ],
            Validate.Warnings(yaml));
    }

    [Fact]
    public void Check_TcpPortWithAutoAllocation_DoesNotWarn() =>
        Assert.Empty(Validate.Warnings(Entry("  - {number: 81, name: tcp, protocol: TCP}")));

    [Fact]
    public void Check_TcpPortWithAutoAllocationOptedOut_Warns() =>
        Assert.Equal(
            ["test.yaml:9: warning: ServiceEntry default/se: spec.ports[0]: addresses are required for ports serving TCP (or unset) protocol when IP Autoallocation is not enabled"],
            Validate.Warnings(Entry("  - {number: 81, name: tcp, protocol: TCP}", labels: "{networking.istio.io/enable-autoallocate-ip: \"False\"}")));
}
