namespace Meshwork.Proxy.Upstream;

/// <summary>
/// Envoy's consecutive-error outlier detection for one cluster: consecutive 5xx, consecutive
/// gateway failures and (with split_external_local_origin_errors) consecutive local-origin
/// failures eject a host at once; an interval timer brings hosts back after base_ejection_time ×
/// times ejected (capped by max_ejection_time) and slowly forgives hosts that stay healthy.
/// Success-rate and failure-percentage detection are not implemented (Istio turns them off).
/// </summary>
internal sealed class OutlierDetector : IDisposable
{
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly Func<double> _random;
    private readonly ClusterStats _stats;
    private readonly Action _onEjectionsChanged;
    private readonly ITimer _timer;
    private volatile EndpointState[] _hosts = [];

    public OutlierDetector(OutlierSettings settings, TimeProvider time, Func<double> random, ClusterStats stats, Action onEjectionsChanged)
    {
        Settings = settings;
        _time = time;
        _random = random;
        _stats = stats;
        _onEjectionsChanged = onEjectionsChanged;
        _timer = time.CreateTimer(_ => OnInterval(), null, settings.Interval, settings.Interval);
    }

    public OutlierSettings Settings { get; }

    /// <summary>The hosts now in the cluster (the max_ejection_percent denominator); states that left stop counting.</summary>
    public void SetHosts(EndpointState[] hosts)
    {
        lock (_gate)
        {
            foreach (var host in _hosts)
            {
                if (host.Detector == this && Array.IndexOf(hosts, host) < 0)
                {
                    host.Detector = null;
                }
            }

            foreach (var host in hosts)
            {
                host.Detector = this;
            }

            _hosts = hosts;
            var active = 0;
            foreach (var host in hosts)
            {
                active += host.Ejected ? 1 : 0;
            }

            Interlocked.Exchange(ref _stats.OutlierEjectionsActive, active);
        }
    }

    public void Report(EndpointState host, UpstreamOutcome outcome)
    {
        var settings = Settings;
        if (outcome.Kind == UpstreamOutcomeKind.Success)
        {
            if ((Volatile.Read(ref host.Consecutive5xx) | Volatile.Read(ref host.ConsecutiveGatewayFailure) | Volatile.Read(ref host.ConsecutiveLocalOriginFailure)) != 0)
            {
                lock (host)
                {
                    host.Consecutive5xx = 0;
                    host.ConsecutiveGatewayFailure = 0;
                    host.ConsecutiveLocalOriginFailure = 0;
                }
            }

            return;
        }

        EjectionReason? reason = null;
        lock (host)
        {
            if (outcome.IsLocalOrigin && settings.SplitLocalOriginErrors)
            {
                if (++host.ConsecutiveLocalOriginFailure == settings.ConsecutiveLocalOriginFailure)
                {
                    reason = EjectionReason.ConsecutiveLocalOriginFailure;
                }
            }
            else
            {
                // Without the split, Envoy counts a failed connect or reset as a 503 and a timeout as a 504: both are gateway errors.
                var gateway = outcome.IsLocalOrigin || outcome.Kind == UpstreamOutcomeKind.GatewayError;
                if (++host.Consecutive5xx == settings.Consecutive5xx)
                {
                    reason = EjectionReason.Consecutive5xx;
                }

                if (gateway)
                {
                    if (++host.ConsecutiveGatewayFailure == settings.ConsecutiveGatewayFailure && reason == null)
                    {
                        reason = EjectionReason.ConsecutiveGatewayFailure;
                    }
                }
                else
                {
                    host.ConsecutiveGatewayFailure = 0;
                }
            }
        }

        if (reason is { } r)
        {
            TryEject(host, r);
        }
    }

    private void TryEject(EndpointState host, EjectionReason reason)
    {
        var settings = Settings;
        var enforcing = reason switch
        {
            EjectionReason.Consecutive5xx => settings.Enforcing5xx,
            EjectionReason.ConsecutiveGatewayFailure => settings.EnforcingGatewayFailure,
            _ => settings.EnforcingLocalOriginFailure,
        };
        lock (_gate)
        {
            _stats.CountDetected(reason);
            if (host.Ejected || host.Detector != this)
            {
                return;
            }

            var active = Interlocked.Read(ref _stats.OutlierEjectionsActive);
            var percent = 100.0 * (active + 1) / Math.Max(1, _hosts.Length);
            if (!(percent <= settings.MaxEjectionPercent || (settings.AlwaysEjectOneHost && active == 0)))
            {
                Interlocked.Increment(ref _stats.OutlierEjectionsOverflow);
                return;
            }

            if (enforcing < 100 && _random() * 100 >= enforcing)
            {
                return;
            }

            host.Ejected = true;
            host.EjectedAtTimestamp = _time.GetTimestamp();
            if (settings.BaseEjectionTime * (host.EjectionCount + 1) <= settings.MaxEjectionTime || host.EjectionCount == 0)
            {
                host.EjectionCount++;
            }

            Interlocked.Increment(ref _stats.OutlierEjectionsActive);
            _stats.CountEnforced(reason);
        }

        _onEjectionsChanged();
    }

    /// <summary>
    /// Envoy's interval sweep: a host returns once its ejection time has passed (so un-ejection
    /// happens on interval boundaries), and a host that is not ejected has its ejection multiplier
    /// lowered by one per interval, so a host that recovered for good is eventually treated as new.
    /// </summary>
    internal void OnInterval()
    {
        var settings = Settings;
        var changed = false;
        lock (_gate)
        {
            foreach (var host in _hosts)
            {
                if (!host.Ejected)
                {
                    if (host.EjectionCount > 0 && _time.GetElapsedTime(host.EjectedAtTimestamp) >= settings.BaseEjectionTime * host.EjectionCount + settings.Interval)
                    {
                        host.EjectionCount--;
                    }

                    continue;
                }

                var ejectedFor = settings.BaseEjectionTime * host.EjectionCount;
                if (ejectedFor > settings.MaxEjectionTime)
                {
                    ejectedFor = settings.MaxEjectionTime;
                }

                if (_time.GetElapsedTime(host.EjectedAtTimestamp) >= ejectedFor)
                {
                    lock (host)
                    {
                        host.Consecutive5xx = 0;
                        host.ConsecutiveGatewayFailure = 0;
                        host.ConsecutiveLocalOriginFailure = 0;
                    }

                    host.Ejected = false;
                    Interlocked.Decrement(ref _stats.OutlierEjectionsActive);
                    changed = true;
                }
            }
        }

        if (changed)
        {
            _onEjectionsChanged();
        }
    }

    public void Dispose() => _timer.Dispose();
}

/// <summary>Why a host was ejected; indexes the per-reason stats.</summary>
internal enum EjectionReason { Consecutive5xx, ConsecutiveGatewayFailure, ConsecutiveLocalOriginFailure }
