using Meshwork.Config.Tests.Support;
using static Meshwork.Config.Tests.Validation.Networking.SidecarYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class SidecarIngressRuleTests
{
    private static string Ingress(string listener) => Header + "  ingress:\n  - " + listener + "\n";

    [Theory]
    [InlineData("{port: {number: 9080, protocol: HTTP, name: http}, defaultEndpoint: \"127.0.0.1:8080\"}")]
    [InlineData("{port: {number: 9080, protocol: HTTP}, defaultEndpoint: \"0.0.0.0:8080\"}")]
    [InlineData("{port: {number: 9080}, defaultEndpoint: \"[::1]:8080\"}")]
    [InlineData("{port: {number: 9080}, defaultEndpoint: \"[::]:8080\"}")]
    [InlineData("{port: {number: 9080}, defaultEndpoint: \":8080\"}")]
    [InlineData("{port: {number: 9080}, defaultEndpoint: \"unix:///var/run/app.sock\"}")]
    [InlineData("{port: {number: 9080}, defaultEndpoint: \"unix://@abstract\"}")]
    [InlineData("{port: {number: 80, protocol: tcp}, bind: 172.16.1.32, captureMode: NONE}")]
    public void Check_ValidListener_Accepted(string listener) => Validate.Valid(Ingress(listener));

    [Fact]
    public void Check_MissingPort_Rejected() =>
        Assert.Equal([At(7, "spec.ingress[0].port: port is required for ingress listeners")], Validate.Errors(Ingress("{defaultEndpoint: \"127.0.0.1:8080\"}")));

    [Fact]
    public void Check_BadPort_Rejected() =>
        Assert.Equal(
            [
                At(8, "spec.ingress[0].port.number: port number 70000 must be in the range 1..65535"),
                At(9, "spec.ingress[0].port.protocol: unsupported protocol \"HTTP3\", expected one of HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, HTTP_PROXY, TCP, TLS, UDP, MONGO, MYSQL, REDIS (or unset to sniff)"),
                At(10, "spec.ingress[0].port.name: invalid port name: http_1"),
                At(11, "spec.ingress[0].port.targetPort: targetPort has no impact on Sidecars"),
                At(12, "spec.ingress[0].bind: 1.2.3 is not a valid IP"),
            ],
            Validate.Errors(Header + """
                  ingress:
                  - port:
                      number: 70000
                      protocol: HTTP3
                      name: http_1
                      targetPort: 8080
                    bind: 1.2.3
                """));

    [Fact]
    public void Check_DuplicatePorts_Rejected() =>
        Assert.Equal([At(8, "spec.ingress[1].port.number: ports on IP bound listeners must be unique, got 80 again (also ingress[0])")], Validate.Errors(Header + """
              ingress:
              - port: {number: 80}
              - port: {number: 80}
            """));

    [Theory]
    [InlineData("\"10.1.1.1:8080\"", "defaultEndpoint must be of form 127.0.0.1:<port>,0.0.0.0:<port>,[::1]:port,[::]:port,unix://filepath or unset, got \"10.1.1.1:8080\"")]
    [InlineData("\"127.0.0.1\"", "address 127.0.0.1: missing port in address")]
    [InlineData("\"::1:80\"", "address ::1:80: too many colons in address")]
    [InlineData("\"127.0.0.1:http\"", "defaultEndpoint port (http) is not a number")]
    [InlineData("\"127.0.0.1:0\"", "port number 0 must be in the range 1..65535")]
    [InlineData("\"unix://var/run/app.sock\"", "var/run/app.sock is not an absolute path to a file")]
    [InlineData("\"unix://\"", "unix address must not be empty")]
    public void Check_BadDefaultEndpoint_Rejected(string endpoint, string message) =>
        Assert.Equal([At(7, "spec.ingress[0].defaultEndpoint: " + message)], Validate.Errors(Ingress($"{{port: {{number: 80}}, defaultEndpoint: {endpoint}}}")));
}
