using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Networking;

/// <summary>Cases follow Istio's TestValidateWorkloadGroup.</summary>
public class WorkloadGroupProbeRuleTests
{
    private static string Group(string probe) => $"""
        apiVersion: networking.istio.io/v1
        kind: WorkloadGroup
        metadata:
          name: reviews
        spec:
          template: {"{}"}
          probe:
        {probe}
        """;

    [Theory]
    [InlineData("    httpGet: {port: 5}")]
    [InlineData("    tcpSocket: {port: 5}")]
    [InlineData("    exec: {command: [foo, bar]}")]
    [InlineData("    initialDelaySeconds: 5\n    timeoutSeconds: 3\n    periodSeconds: 4\n    successThreshold: 3\n    failureThreshold: 3\n    httpGet:\n      path: /foo/bar\n      host: 127.0.0.1\n      port: 3100\n      scheme: HTTPS\n      httpHeaders:\n      - name: Lit-Header\n        value: Im-The-Best")]
    public void Check_ProbesIstioAccepts_AreValid(string probe) => Validate.Valid(Group(probe));

    [Fact]
    public void Check_NoMethod_ReportsError() =>
        Assert.Equal(
            ["test.yaml:7: WorkloadGroup default/reviews: spec.probe: a health check method is required: one of httpGet, tcpSocket or exec"],
            Validate.Errors(Group("    periodSeconds: 4")));

    [Fact]
    public void Check_EmptyHttpGet_ReportsPort() =>
        Assert.Equal(
            ["test.yaml:8: WorkloadGroup default/reviews: spec.probe.httpGet.port: port number 0 must be in the range 1..65535"],
            Validate.Errors(Group("    httpGet: {}")));

    [Fact]
    public void Check_EmptyTcpSocket_ReportsPort() =>
        Assert.Equal(
            ["test.yaml:8: WorkloadGroup default/reviews: spec.probe.tcpSocket.port: port number 0 must be in the range 1..65535"],
            Validate.Errors(Group("    tcpSocket: {}")));

    [Fact]
    public void Check_EmptyExec_ReportsCommand() =>
        Assert.Equal(
            ["test.yaml:8: WorkloadGroup default/reviews: spec.probe.exec.command: required: the command to run"],
            Validate.Errors(Group("    exec: {}")));

    [Fact]
    public void Check_GrpcMethod_ReportsUnsupported() =>
        Assert.Equal(
            ["test.yaml:8: WorkloadGroup default/reviews: spec.probe.grpc: health check method grpc is not supported by Istio's validator, use httpGet, tcpSocket or exec"],
            Validate.Errors(Group("    grpc: {port: 9090, service: health}")));

    [Fact]
    public void Check_NegativeTimingsBadSchemeAndHeader_ReportEach() =>
        Assert.Equal(
            [
                "test.yaml:8: WorkloadGroup default/reviews: spec.probe.periodSeconds: must not be negative, got -1",
                "test.yaml:9: WorkloadGroup default/reviews: spec.probe.failureThreshold: must not be negative, got -3",
                "test.yaml:12: WorkloadGroup default/reviews: spec.probe.httpGet.scheme: must be one of \"HTTPS\", \"HTTP\", got \"http\"",
                "test.yaml:14: WorkloadGroup default/reviews: spec.probe.httpGet.httpHeaders[0].name: header name X_Trace is not a valid header name (letters, digits and '-' only)",
            ],
            Validate.Errors(Group("""
                    periodSeconds: -1
                    failureThreshold: -3
                    httpGet:
                      port: 8080
                      scheme: http
                      httpHeaders:
                      - {name: X_Trace, value: "1"}
                """)));
}
