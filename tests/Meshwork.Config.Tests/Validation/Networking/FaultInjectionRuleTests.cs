using static Meshwork.Config.Tests.Validation.Networking.VirtualServiceYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class FaultInjectionRuleTests
{
    private static string Fault(string fault) => $"hosts: [foo.bar]\nhttp:\n- route: [{{destination: {{host: foo.baz}}}}]\n  fault:\n    {fault}";

    [Theory]
    [InlineData("abort: {httpStatus: 200, percentage: {value: 20}}")]
    [InlineData("abort: {httpStatus: 555}")]
    [InlineData("abort: {grpcStatus: DEADLINE_EXCEEDED, percentage: {value: 0.001}}")]
    [InlineData("abort: {httpStatus: 500, percentage: {value: 0}}")]
    [InlineData("delay: {fixedDelay: 3s, percentage: {value: 20}}")]
    [InlineData("delay: {fixedDelay: 3s}")]
    [InlineData("delay: {fixedDelay: 7s, percentage: {value: 100.0}}")]
    public void Check_ValidFault_Accepted(string fault) => Valid(Fault(fault));

    [Fact]
    public void Check_EmptyFault_Rejected()
    {
        Assert.Equal([Error(9, "spec.http[0].fault: HTTP fault injection must have an abort and/or a delay")], Errors("hosts: [foo.bar]\nhttp:\n- route: [{destination: {host: foo.baz}}]\n  fault: {}"));
    }

    [Theory]
    [InlineData(9000)]
    [InlineData(100)]
    public void Check_AbortHttpStatusOutOfRange_Rejected(int status)
    {
        Assert.Equal(
            [Error(10, $"spec.http[0].fault.abort.httpStatus: HTTP status must be in the range 200..600, got {status}")],
            Errors(Fault($"abort: {{httpStatus: {status}}}")));
    }

    [Theory]
    [InlineData("-10", "-10")]
    [InlineData("101", "101")]
    [InlineData("0.00001", "1E-05")]
    public void Check_PercentageOutOfRange_Rejected(string value, string shown)
    {
        Assert.Equal(
            [
                Error(10, $"spec.http[0].fault.abort.percentage.value: percentage must be 0 or in the range 0.0001..100, got {shown}"),
                Error(11, $"spec.http[0].fault.delay.percentage.value: percentage must be 0 or in the range 0.0001..100, got {shown}"),
            ],
            Errors(Fault($"abort: {{httpStatus: 500, percentage: {{value: {value}}}}}\n    delay: {{fixedDelay: 1s, percentage: {{value: {value}}}}}")));
    }

    [Fact]
    public void Check_UnsupportedAbortKinds_Rejected()
    {
        Assert.Equal(
            [Error(10, "spec.http[0].fault.abort.grpcStatus: gRPC status \"BAD_STATUS\" is not supported, expected one of: OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS, UNAUTHENTICATED")],
            Errors(Fault("abort: {grpcStatus: BAD_STATUS}")));
        Assert.Equal(
            [Error(10, "spec.http[0].fault.abort.http2Error: HTTP/2 abort fault injection not supported yet")],
            Errors(Fault("abort: {http2Error: PROTOCOL_ERROR}")));
    }

    [Fact]
    public void Check_AbortWithoutErrorType_Warned()
    {
        var spec = Fault("abort: {percentage: {value: 10}}");
        Assert.Empty(Errors(spec));
        Assert.Equal([Warning(10, "spec.http[0].fault.abort: abort configured, but error type not set (httpStatus or grpcStatus)")], Warnings(spec));
    }

    [Fact]
    public void Check_BadDelays_Rejected()
    {
        Assert.Equal(
            [Error(10, "spec.http[0].fault.delay.fixedDelay: only durations to ms precision are supported")],
            Errors(Fault("delay: {fixedDelay: 3.0000001s}")));
        Assert.Equal(
            [Error(10, "spec.http[0].fault.delay.exponentialDelay: exponentialDelay not supported yet")],
            Errors(Fault("delay: {exponentialDelay: 1s}")));
    }
}
