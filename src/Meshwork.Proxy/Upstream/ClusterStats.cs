namespace Meshwork.Proxy.Upstream;

/// <summary>
/// One cluster's counters and gauges under Envoy's names (without the <c>cluster.NAME.</c>
/// prefix, which /stats adds). Plain fields updated with Interlocked: the pipeline increments
/// them per request, and a lock or a dictionary lookup there would cost every request.
/// Kept for the cluster's lifetime, across config updates.
/// </summary>
public sealed class ClusterStats
{
    public long UpstreamRqTotal;
    public long UpstreamRqActive;
    public long UpstreamRqRetry;
    public long UpstreamRqRetrySuccess;
    public long UpstreamRqRetryOverflow;
    public long UpstreamRqPendingOverflow;
    public long UpstreamRqPendingActive;
    public long UpstreamRqTimeout;
    public long UpstreamRqPerTryTimeout;
    public long UpstreamCxTotal;
    public long UpstreamCxActive;
    public long UpstreamCxDestroy;
    public long UpstreamCxConnectFail;
    public long UpstreamCxConnectTimeout;
    public long UpstreamRetriesActive;
    public long OutlierEjectionsActive;
    public long OutlierEjectionsEnforcedTotal;
    public long OutlierEjectionsOverflow;
    public long MembershipTotal;
    public long MembershipHealthy;

    private readonly long[] _byClass = new long[6];

    // Per-code counters (upstream_rq_503…) are allocated on the first response: most of a mesh's clusters never see traffic.
    private long[]? _byCode;
    private readonly long[] _detected = new long[3];
    private readonly long[] _enforced = new long[3];

    /// <summary>upstream_rq_Nxx and upstream_rq_CODE for one response from the upstream.</summary>
    public void RecordResponse(int status)
    {
        if (status is >= 100 and < 600)
        {
            Interlocked.Increment(ref _byClass[status / 100]);
            var byCode = _byCode;
            if (byCode == null)
            {
                Interlocked.CompareExchange(ref _byCode, new long[600], null);
                byCode = _byCode!;
            }

            Interlocked.Increment(ref byCode[status]);
        }
    }

    public long ResponsesOfClass(int hundreds) => Interlocked.Read(ref _byClass[hundreds]);

    public long ResponsesWithCode(int status) => _byCode is { } byCode ? Interlocked.Read(ref byCode[status]) : 0;

    internal void CountDetected(EjectionReason reason) => Interlocked.Increment(ref _detected[(int)reason]);

    internal void CountEnforced(EjectionReason reason)
    {
        Interlocked.Increment(ref _enforced[(int)reason]);
        Interlocked.Increment(ref OutlierEjectionsEnforcedTotal);
    }

    /// <summary>Every stat with its value, in a stable order, for /stats.</summary>
    public IEnumerable<(string Name, long Value)> Enumerate()
    {
        yield return ("upstream_rq_total", Interlocked.Read(ref UpstreamRqTotal));
        yield return ("upstream_rq_active", Interlocked.Read(ref UpstreamRqActive));
        yield return ("upstream_rq_pending_active", Interlocked.Read(ref UpstreamRqPendingActive));
        for (var c = 1; c <= 5; c++)
        {
            yield return ($"upstream_rq_{c}xx", Interlocked.Read(ref _byClass[c]));
        }

        var byCode = _byCode;
        for (var code = 100; byCode != null && code < 600; code++)
        {
            var count = Interlocked.Read(ref byCode[code]);
            if (count != 0)
            {
                yield return ($"upstream_rq_{code}", count);
            }
        }

        yield return ("upstream_rq_retry", Interlocked.Read(ref UpstreamRqRetry));
        yield return ("upstream_rq_retry_success", Interlocked.Read(ref UpstreamRqRetrySuccess));
        yield return ("upstream_rq_retry_overflow", Interlocked.Read(ref UpstreamRqRetryOverflow));
        yield return ("upstream_rq_pending_overflow", Interlocked.Read(ref UpstreamRqPendingOverflow));
        yield return ("upstream_rq_timeout", Interlocked.Read(ref UpstreamRqTimeout));
        yield return ("upstream_rq_per_try_timeout", Interlocked.Read(ref UpstreamRqPerTryTimeout));
        yield return ("upstream_cx_total", Interlocked.Read(ref UpstreamCxTotal));
        yield return ("upstream_cx_active", Interlocked.Read(ref UpstreamCxActive));
        yield return ("upstream_cx_destroy", Interlocked.Read(ref UpstreamCxDestroy));
        yield return ("upstream_cx_connect_fail", Interlocked.Read(ref UpstreamCxConnectFail));
        yield return ("upstream_cx_connect_timeout", Interlocked.Read(ref UpstreamCxConnectTimeout));
        yield return ("membership_total", Interlocked.Read(ref MembershipTotal));
        yield return ("membership_healthy", Interlocked.Read(ref MembershipHealthy));
        yield return ("outlier_detection.ejections_active", Interlocked.Read(ref OutlierEjectionsActive));
        yield return ("outlier_detection.ejections_enforced_total", Interlocked.Read(ref OutlierEjectionsEnforcedTotal));
        yield return ("outlier_detection.ejections_overflow", Interlocked.Read(ref OutlierEjectionsOverflow));
        yield return ("outlier_detection.ejections_consecutive_5xx", Interlocked.Read(ref _enforced[(int)EjectionReason.Consecutive5xx]));
        yield return ("outlier_detection.ejections_enforced_consecutive_5xx", Interlocked.Read(ref _enforced[(int)EjectionReason.Consecutive5xx]));
        yield return ("outlier_detection.ejections_detected_consecutive_5xx", Interlocked.Read(ref _detected[(int)EjectionReason.Consecutive5xx]));
        yield return ("outlier_detection.ejections_enforced_consecutive_gateway_failure", Interlocked.Read(ref _enforced[(int)EjectionReason.ConsecutiveGatewayFailure]));
        yield return ("outlier_detection.ejections_detected_consecutive_gateway_failure", Interlocked.Read(ref _detected[(int)EjectionReason.ConsecutiveGatewayFailure]));
        yield return ("outlier_detection.ejections_enforced_consecutive_local_origin_failure", Interlocked.Read(ref _enforced[(int)EjectionReason.ConsecutiveLocalOriginFailure]));
        yield return ("outlier_detection.ejections_detected_consecutive_local_origin_failure", Interlocked.Read(ref _detected[(int)EjectionReason.ConsecutiveLocalOriginFailure]));
    }
}
