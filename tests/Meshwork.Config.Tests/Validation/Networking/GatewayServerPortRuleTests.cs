using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Networking;

public class GatewayServerPortRuleTests
{
    private static string Gateway(string port, string bind = "") => $$"""
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata:
          name: gw
        spec:
          servers:
          - port: {{port}}
            hosts: ["foo.bar.com"]{{(bind.Length > 0 ? "\n    bind: " + bind : "")}}
        """;

    [Theory]
    [InlineData("{number: 7, name: Henry, protocol: http}")]
    [InlineData("{number: 443, name: mongo, protocol: MONGO}")]
    [InlineData("{number: 9000, name: grpc-web, protocol: GRPC-Web}")]
    [InlineData("{number: 3306, name: db, protocol: mysql}")]
    public void Check_PortsIstioAccepts_AreValid(string port) => Validate.Valid(Gateway(port));

    [Fact]
    public void Check_MissingPort_ReportsError()
    {
        var yaml = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata:
              name: gw
            spec:
              servers:
              - hosts: ["foo.bar.com"]
            """;
        Assert.Equal(["test.yaml:7: Gateway default/gw: spec.servers[0].port: port is required"], Validate.Errors(yaml));
    }

    [Fact]
    public void Check_UnknownProtocol_ReportsError() =>
        Assert.Equal(
            ["test.yaml:7: Gateway default/gw: spec.servers[0].port.protocol: invalid protocol \"kafka\", expected one of HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, HTTP_PROXY, TCP, TLS, UDP, MONGO, MYSQL, REDIS"],
            Validate.Errors(Gateway("{number: 1, name: Henry, protocol: kafka}")));

    [Fact]
    public void Check_EmptyPort_ReportsProtocolNumberAndName()
    {
        Assert.Equal(
            [
                "test.yaml:7: Gateway default/gw: spec.servers[0].port.protocol: protocol is required, expected one of HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, HTTP_PROXY, TCP, TLS, UDP, MONGO, MYSQL, REDIS",
                "test.yaml:7: Gateway default/gw: spec.servers[0].port.number: port number 0 must be in the range 1..65535",
                "test.yaml:7: Gateway default/gw: spec.servers[0].port.name: port name must be set",
            ],
            Validate.Errors(Gateway("{}")));
    }

    [Theory]
    [InlineData("66000")]
    [InlineData("1073741824")]
    public void Check_NumberOutOfRange_ReportsError(string number) =>
        Assert.Equal(
            [$"test.yaml:7: Gateway default/gw: spec.servers[0].port.number: port number {number} must be in the range 1..65535"],
            Validate.Errors(Gateway($"{{number: {number}, name: http, protocol: http}}")));

    [Fact]
    public void Check_TargetPort_ReportsError() =>
        Assert.Equal(
            ["test.yaml:7: Gateway default/gw: spec.servers[0].port.targetPort: targetPort has no impact on Gateways"],
            Validate.Errors(Gateway("{number: 80, name: http, protocol: HTTP, targetPort: 8080}")));

    [Fact]
    public void Check_BindIp_IsValid() => Validate.Valid(Gateway("{number: 7, name: http, protocol: http}", "127.0.0.1"));

    [Fact]
    public void Check_BindUnixSocketWithPortZero_IsValid() => Validate.Valid(Gateway("{number: 0, name: http, protocol: http}", "unix://@foobar"));

    [Fact]
    public void Check_BindUnixSocketWithPortNumber_ReportsError() =>
        Assert.Equal(
            ["test.yaml:7: Gateway default/gw: spec.servers[0].port.number: port number must be 0 for unix domain socket, got 7"],
            Validate.Errors(Gateway("{number: 7, name: http, protocol: http}", "unix://@foobar")));

    [Fact]
    public void Check_BindRelativeUnixPath_ReportsError() =>
        Assert.Equal(
            ["test.yaml:9: Gateway default/gw: spec.servers[0].bind: ./sock is not an absolute path to a file"],
            Validate.Errors(Gateway("{number: 0, name: http, protocol: http}", "unix://./sock")));

    [Fact]
    public void Check_BindHostName_ReportsError() =>
        Assert.Equal(
            [
                "test.yaml:7: Gateway default/gw: spec.servers[0].port.number: port number 0 must be in the range 1..65535",
                "test.yaml:9: Gateway default/gw: spec.servers[0].bind: foo.bar is not a valid IP",
            ],
            Validate.Errors(Gateway("{number: 0, name: http, protocol: http}", "foo.bar")));

    [Fact]
    public void Check_NonUnixSchemeWithPortZero_ReportsPortNumber() =>
        Assert.Contains(
            "test.yaml:7: Gateway default/gw: spec.servers[0].port.number: port number 0 must be in the range 1..65535",
            Validate.Errors(Gateway("{number: 0, name: Henry, protocol: http}", "uds:///tmp")));
}
