namespace Meshwork.Proxy.Upstream;

/// <summary>
/// The cluster's circuit breaker (default priority thresholds), admitting requests at once or
/// refusing them (the pipeline answers 503 UO). Model: an HTTP/1.1 connection carries one request
/// at a time, so requests beyond max_connections in flight are "pending" (waiting for a
/// connection); a request is refused when max_requests are in flight, or when it would have to
/// wait and max_pending_requests already wait. HTTP/2 multiplexes, so nothing waits and only
/// max_requests applies. Retries are limited by max_retries, or by the retry budget (a percentage
/// of active requests, at least min_retry_concurrency) when one is set. Limits are read from the
/// current model on every call, so a config update applies to requests already counted.
/// </summary>
internal sealed class CircuitBreaker(ClusterStats stats)
{
    private long _active;
    private long _retries;

    public long Active => Interlocked.Read(ref _active);

    public bool TryStart(CircuitBreakerLimits limits, bool multiplexed)
    {
        while (true)
        {
            var active = Interlocked.Read(ref _active);
            if (active >= limits.MaxRequests || (!multiplexed && active >= limits.MaxConnections && active - limits.MaxConnections >= limits.MaxPendingRequests))
            {
                Interlocked.Increment(ref stats.UpstreamRqPendingOverflow);
                return false;
            }

            if (Interlocked.CompareExchange(ref _active, active + 1, active) == active)
            {
                Interlocked.Increment(ref stats.UpstreamRqTotal);
                Interlocked.Increment(ref stats.UpstreamRqActive);
                if (!multiplexed && active >= limits.MaxConnections)
                {
                    Interlocked.Increment(ref stats.UpstreamRqPendingActive);
                }

                return true;
            }
        }
    }

    public void End(CircuitBreakerLimits limits, bool multiplexed)
    {
        var before = Interlocked.Decrement(ref _active) + 1;
        Interlocked.Decrement(ref stats.UpstreamRqActive);
        if (!multiplexed && before > limits.MaxConnections)
        {
            Interlocked.Decrement(ref stats.UpstreamRqPendingActive);
        }
    }

    public bool TryStartRetry(CircuitBreakerLimits limits)
    {
        var max = limits.MaxRetries;
        if (limits.RetryBudgetPercent is { } percent)
        {
            max = Math.Max(limits.MinRetryConcurrency, (long)(Interlocked.Read(ref _active) * percent / 100.0));
        }

        while (true)
        {
            var retries = Interlocked.Read(ref _retries);
            if (retries >= max)
            {
                Interlocked.Increment(ref stats.UpstreamRqRetryOverflow);
                return false;
            }

            if (Interlocked.CompareExchange(ref _retries, retries + 1, retries) == retries)
            {
                Interlocked.Increment(ref stats.UpstreamRqRetry);
                Interlocked.Increment(ref stats.UpstreamRetriesActive);
                return true;
            }
        }
    }

    public void EndRetry()
    {
        Interlocked.Decrement(ref _retries);
        Interlocked.Decrement(ref stats.UpstreamRetriesActive);
    }
}

/// <summary>A request admitted by the circuit breaker; disposing it ends the request (once).</summary>
public struct RequestLease : IDisposable
{
    private UpstreamCluster? _cluster;
    private readonly CircuitBreakerLimits? _limits;
    private readonly bool _multiplexed;

    internal RequestLease(UpstreamCluster cluster, CircuitBreakerLimits limits, bool multiplexed)
    {
        _cluster = cluster;
        _limits = limits;
        _multiplexed = multiplexed;
    }

    public void Dispose()
    {
        if (_cluster is { } cluster)
        {
            _cluster = null;
            cluster.Breaker.End(_limits!, _multiplexed);
        }
    }
}
