using System.Globalization;
using Envoy.Config.Core.V3;
using Envoy.Extensions.Filters.Http.Fault.V3;
using Envoy.Type.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Networking;
using CommonFault = Envoy.Extensions.Filters.Common.Fault.V3;
using FaultAbort = Envoy.Extensions.Filters.Http.Fault.V3.FaultAbort;
using CorsFilter = Envoy.Extensions.Filters.Http.Cors.V3;

namespace Meshwork.Pilot.Generators.Routes;

/// <summary>
/// The per-route configs of the fault and CORS filters (Istio's TranslateFault and
/// TranslateCORSPolicy). Both go into <c>typed_per_filter_config</c> under the filter's name; the
/// HCM lists both filters so the per-route config has a filter to act on.
/// </summary>
internal static class FaultAndCorsTranslator
{
    public const string FaultFilter = "envoy.filters.http.fault";
    public const string CorsFilterName = "envoy.filters.http.cors";

    /// <summary>gRPC status names (google.rpc.Code) Istio accepts for <c>abort.grpcStatus</c>.</summary>
    private static readonly Dictionary<string, uint> GrpcCodes = new(StringComparer.Ordinal)
    {
        ["OK"] = 0, ["CANCELLED"] = 1, ["UNKNOWN"] = 2, ["INVALID_ARGUMENT"] = 3, ["DEADLINE_EXCEEDED"] = 4,
        ["NOT_FOUND"] = 5, ["ALREADY_EXISTS"] = 6, ["PERMISSION_DENIED"] = 7, ["RESOURCE_EXHAUSTED"] = 8,
        ["FAILED_PRECONDITION"] = 9, ["ABORTED"] = 10, ["OUT_OF_RANGE"] = 11, ["UNIMPLEMENTED"] = 12,
        ["INTERNAL"] = 13, ["UNAVAILABLE"] = 14, ["DATA_LOSS"] = 15, ["UNAUTHENTICATED"] = 16,
    };

    /// <summary>Null when neither a supported delay (fixed) nor a supported abort (HTTP or gRPC status) remains.</summary>
    public static HTTPFault? Fault(HttpFaultInjection? fault)
    {
        if (fault == null)
        {
            return null;
        }

        var output = new HTTPFault();
        if (fault.Delay is { FixedDelay: { } fixedDelay } delay)
        {
            output.Delay = new CommonFault.FaultDelay
            {
                FixedDelay = Duration.FromTimeSpan(fixedDelay),
                Percentage = delay.Percentage != null ? Fraction(delay.Percentage) : new FractionalPercent { Numerator = (uint)Math.Max(delay.Percent, 0), Denominator = FractionalPercent.Types.DenominatorType.Hundred },
            };
        }

        if (fault.Abort is { } abort)
        {
            var translated = new FaultAbort();
            if (abort.HttpStatus is { } status)
            {
                translated.HttpStatus = (uint)status;
            }
            else if (abort.GrpcStatus is { } grpc && GrpcStatus(grpc) is { } code)
            {
                translated.GrpcStatus = code;
            }

            if (translated.ErrorTypeCase != FaultAbort.ErrorTypeOneofCase.None)
            {
                if (abort.Percentage != null)
                {
                    translated.Percentage = Fraction(abort.Percentage);
                }

                output.Abort = translated;
            }
        }

        return output.Delay == null && output.Abort == null ? null : output;
    }

    public static CorsFilter.CorsPolicy Cors(CorsPolicy cors)
    {
        var output = new CorsFilter.CorsPolicy
        {
            // Envoy before 1.30 forwarded unmatched preflights; Istio keeps that unless told to IGNORE.
            ForwardNotMatchingPreflights = cors.UnmatchedPreflights != UnmatchedPreflights.Ignore,
            FilterEnabled = new RuntimeFractionalPercent { DefaultValue = new FractionalPercent { Numerator = 100, Denominator = FractionalPercent.Types.DenominatorType.Hundred } },
            AllowHeaders = string.Join(",", cors.AllowHeaders),
            AllowMethods = string.Join(",", cors.AllowMethods),
            ExposeHeaders = string.Join(",", cors.ExposeHeaders),
        };
        if (!cors.AllowOrigins.IsEmpty)
        {
            output.AllowOriginStringMatch.AddRange(cors.AllowOrigins.Select(RouteMatchTranslator.StringMatcher));
        }
        else
        {
            output.AllowOriginStringMatch.AddRange(cors.AllowOrigin.Select(o => new Envoy.Type.Matcher.V3.StringMatcher { Exact = o }));
        }

        if (cors.AllowCredentials is { } credentials)
        {
            output.AllowCredentials = credentials;
        }

        if (cors.MaxAge is { } maxAge)
        {
            output.MaxAge = ((long)maxAge.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        }

        return output;
    }

    /// <summary>Istio's translatePercentToFractionalPercent: a percent with decimals, as parts per million.</summary>
    public static FractionalPercent Fraction(Config.Networking.Percent percent) =>
        new() { Numerator = (uint)(percent.Value * 10000), Denominator = FractionalPercent.Types.DenominatorType.Million };

    private static uint? GrpcStatus(string status) =>
        GrpcCodes.TryGetValue(status, out var code) ? code
        : uint.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number <= 16 ? number : null;
}
