using System.Globalization;
using Envoy.Extensions.Filters.Http.Fault.V3;
using Microsoft.AspNetCore.Http;
using DelayCase = Envoy.Extensions.Filters.Common.Fault.V3.FaultDelay.FaultDelaySecifierOneofCase;

namespace Meshwork.Proxy.Routing;

/// <summary>
/// The fault filter's per-route config (HTTPFault) compiled once: a delay (fixed, or read from
/// <c>x-envoy-fault-delay-request</c> when header-controlled) and an abort (HTTP status, gRPC status,
/// or read from <c>x-envoy-fault-abort-request</c> / <c>x-envoy-fault-abort-grpc-request</c>), each
/// with its percentage; the fault applies only when its <c>headers</c> match and, if given, the
/// routed cluster is <c>upstream_cluster</c>. <c>max_active_faults</c> is not enforced: that is a
/// process-wide counter the pipeline would own; <c>response_rate_limit</c> and
/// <c>downstream_nodes</c> are refused.
/// </summary>
public sealed class FaultPolicy
{
    public const string DelayHeader = "x-envoy-fault-delay-request";
    public const string AbortHeader = "x-envoy-fault-abort-request";
    public const string AbortGrpcHeader = "x-envoy-fault-abort-grpc-request";

    private readonly HeaderMatch[] _headers;
    private readonly string _upstreamCluster;

    private FaultPolicy(HeaderMatch[] headers, string upstreamCluster)
    {
        _headers = headers;
        _upstreamCluster = upstreamCluster;
    }

    public bool HasDelay => FixedDelay != null || DelayFromHeader;

    public TimeSpan? FixedDelay { get; private init; }

    public bool DelayFromHeader { get; private init; }

    public Percentage DelayPercentage { get; private init; }

    public bool HasAbort => AbortHttpStatus != null || AbortGrpcStatus != null || AbortFromHeader;

    public int? AbortHttpStatus { get; private init; }

    public int? AbortGrpcStatus { get; private init; }

    public bool AbortFromHeader { get; private init; }

    public Percentage AbortPercentage { get; private init; }

    internal static FaultPolicy Compile(HTTPFault fault, string where)
    {
        if (fault.ResponseRateLimit != null)
        {
            throw new ProxyConfigException($"{where}: fault response_rate_limit is not supported");
        }

        if (fault.DownstreamNodes.Count > 0)
        {
            throw new ProxyConfigException($"{where}: fault downstream_nodes is not supported");
        }

        var delay = fault.Delay;
        if (delay != null && delay.FaultDelaySecifierCase == DelayCase.None)
        {
            throw new ProxyConfigException($"{where}: fault delay needs fixed_delay or header_delay");
        }

        var abort = fault.Abort;
        if (abort != null && abort.ErrorTypeCase == FaultAbort.ErrorTypeOneofCase.None)
        {
            throw new ProxyConfigException($"{where}: fault abort needs http_status, grpc_status or header_abort");
        }

        if (abort is { ErrorTypeCase: FaultAbort.ErrorTypeOneofCase.HttpStatus, HttpStatus: < 200 or >= 600 })
        {
            throw new ProxyConfigException($"{where}: fault abort http_status {abort.HttpStatus} must be in [200, 600)");
        }

        return new FaultPolicy(fault.Headers.Select(h => HeaderMatch.Compile(h, $"{where}: fault")).ToArray(), fault.UpstreamCluster)
        {
            FixedDelay = delay?.FaultDelaySecifierCase == DelayCase.FixedDelay ? delay.FixedDelay.ToTimeSpan() : null,
            DelayFromHeader = delay?.FaultDelaySecifierCase == DelayCase.HeaderDelay,
            DelayPercentage = Percentage.From(delay?.Percentage),
            AbortHttpStatus = abort?.ErrorTypeCase == FaultAbort.ErrorTypeOneofCase.HttpStatus ? (int)abort.HttpStatus : null,
            AbortGrpcStatus = abort?.ErrorTypeCase == FaultAbort.ErrorTypeOneofCase.GrpcStatus ? (int)abort.GrpcStatus : null,
            AbortFromHeader = abort?.ErrorTypeCase == FaultAbort.ErrorTypeOneofCase.HeaderAbort,
            AbortPercentage = Percentage.From(abort?.Percentage),
        };
    }

    /// <summary>Whether the fault concerns this request at all (its header matchers, and upstream_cluster against the chosen cluster).</summary>
    public bool AppliesTo(HttpRequest request, string? cluster)
    {
        if (_upstreamCluster.Length > 0 && !string.Equals(_upstreamCluster, cluster, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var header in _headers)
        {
            if (!header.Matches(request))
            {
                return false;
            }
        }

        return true;
    }

    public bool ShouldDelay(double random01) => HasDelay && DelayPercentage.IsHit(random01);

    public bool ShouldAbort(double random01) => HasAbort && AbortPercentage.IsHit(random01);

    /// <summary>The delay to inject once <see cref="ShouldDelay"/> said yes: the fixed delay, or the request header's milliseconds (none when missing or invalid).</summary>
    public TimeSpan? DelayFor(HttpRequest request)
    {
        if (FixedDelay is { } fixedDelay)
        {
            return fixedDelay;
        }

        return DelayFromHeader && long.TryParse(request.Headers[DelayHeader].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? TimeSpan.FromMilliseconds(ms)
            : null;
    }

    /// <summary>The abort once <see cref="ShouldAbort"/> said yes: an HTTP status, or a gRPC status (sent as a 200 with grpc-status); null when a header-controlled abort has no valid header.</summary>
    public (int? HttpStatus, int? GrpcStatus)? AbortFor(HttpRequest request)
    {
        if (!AbortFromHeader)
        {
            return (AbortHttpStatus, AbortGrpcStatus);
        }

        if (int.TryParse(request.Headers[AbortHeader].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var status) && status is >= 200 and < 600)
        {
            return (status, null);
        }

        if (int.TryParse(request.Headers[AbortGrpcHeader].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var grpc))
        {
            return (null, grpc);
        }

        return null;
    }
}
