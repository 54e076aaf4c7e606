using System.Globalization;
using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Fault injection (validateHTTPFaultInjection): an abort and/or a delay; percentages 0 or from 0.0001 to
/// 100; abort with an HTTP status from 200 to 600 or a known gRPC status (HTTP/2 errors are not supported
/// yet); a fixed delay of at least 1ms (exponential delays are not supported yet).
/// </summary>
public sealed class FaultInjectionRule : SpecRule<VirtualService>
{
    /// <summary>The gRPC status names Istio accepts (grpc-go's codes).</summary>
    public static readonly IReadOnlyList<string> GrpcStatuses =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE",
        "DATA_LOSS", "UNAUTHENTICATED",
    ];

    protected override void Check(VirtualService spec, RuleContext context)
    {
        for (var i = 0; i < spec.Http.Count; i++)
        {
            if (spec.Http[i].Fault is not { } fault)
            {
                continue;
            }

            var path = $"spec.http[{i}].fault";
            if (fault.Abort == null && fault.Delay == null)
            {
                context.Error(path, "HTTP fault injection must have an abort and/or a delay");
            }

            if (fault.Abort is { } abort)
            {
                CheckAbort(abort, path + ".abort", context);
            }

            if (fault.Delay is { } delay)
            {
                CheckDelay(delay, path + ".delay", context);
            }
        }
    }

    /// <summary>validatePercentage: Envoy's fractional percent cannot express a share below 0.0001%.</summary>
    public static void Percentage(Percent? percentage, string path, RuleContext context)
    {
        if (percentage is { Value: var value } && (value is < 0 or > 100 || (value > 0 && value < 0.0001)))
        {
            context.Error(path + ".value", $"percentage must be 0 or in the range 0.0001..100, got {value.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    private static void CheckAbort(FaultAbort abort, string path, RuleContext context)
    {
        Percentage(abort.Percentage, path + ".percentage", context);
        if (abort.GrpcStatus is { } grpc)
        {
            if (!GrpcStatuses.Contains(grpc))
            {
                context.Error(path + ".grpcStatus", $"gRPC status \"{grpc}\" is not supported, expected one of: {string.Join(", ", GrpcStatuses)}");
            }
        }
        else if (abort.Http2Error != null)
        {
            context.Error(path + ".http2Error", "HTTP/2 abort fault injection not supported yet");
        }
        else if (abort.HttpStatus is { } status)
        {
            if (status is < 200 or > 600)
            {
                context.Error(path + ".httpStatus", $"HTTP status must be in the range 200..600, got {status}");
            }
        }
        else
        {
            context.Warning(path, "abort configured, but error type not set (httpStatus or grpcStatus)");
        }
    }

    private static void CheckDelay(FaultDelay delay, string path, RuleContext context)
    {
        Percentage(delay.Percentage, path + ".percentage", context);
        if (delay.FixedDelay is { } fixedDelay && Checks.Duration(fixedDelay) is { } fixedError)
        {
            context.Error(path + ".fixedDelay", fixedError);
        }

        if (delay.ExponentialDelay is { } exponential)
        {
            if (Checks.Duration(exponential) is { } error)
            {
                context.Error(path + ".exponentialDelay", error);
            }

            context.Error(path + ".exponentialDelay", "exponentialDelay not supported yet");
        }
    }
}
