namespace Meshwork.Proxy.Upstream;

/// <summary>
/// A cluster's hosts arranged for picking, rebuilt whole when endpoints or their health change
/// (EDS update, DNS answer, ejection) and swapped in one reference write. Follows Envoy: each
/// priority level gets a share of the load from its health (healthy/total × overprovisioning,
/// 1.4 by default), so traffic spills to the next priority as a level degrades; when the levels
/// together cannot take all the load, a level whose healthy share is below the panic threshold
/// balances over all its hosts; with
/// locality-weighted LB a locality is chosen first by weight × its own health.
/// </summary>
internal sealed class HostSelection
{
    private readonly PriorityLevel[] _levels;
    private readonly int[] _cumulativeLoad;
    private readonly Func<double> _random;

    private HostSelection(PriorityLevel[] levels, int[] cumulativeLoad, Func<double> random, int healthy, int total)
    {
        _levels = levels;
        _cumulativeLoad = cumulativeLoad;
        _random = random;
        HealthyCount = healthy;
        TotalCount = total;
    }

    public static HostSelection Empty { get; } = new([], [], () => 0, 0, 0);

    public int HealthyCount { get; }

    public int TotalCount { get; }

    /// <summary>Percent of load per priority (index = priority), for tests and /clusters.</summary>
    public IReadOnlyList<int> PriorityLoad
    {
        get
        {
            var loads = new int[_cumulativeLoad.Length];
            for (var i = 0; i < loads.Length; i++)
            {
                loads[i] = _cumulativeLoad[i] - (i == 0 ? 0 : _cumulativeLoad[i - 1]);
            }

            return loads;
        }
    }

    /// <param name="weightOf">A host's weight now (slow start lowers new hosts'); consistent hashing uses the configured weight.</param>
    public static HostSelection Build(UpstreamEndpoint[] endpoints, LoadBalancingSettings lb, double overprovisioning, Func<double> random, Func<UpstreamEndpoint, uint> weightOf)
    {
        if (endpoints.Length == 0)
        {
            return Empty;
        }

        var maxPriority = 0u;
        foreach (var e in endpoints)
        {
            maxPriority = Math.Max(maxPriority, e.Priority);
        }

        var healthyTotal = 0;
        var levels = new PriorityLevel[maxPriority + 1];
        var health = new int[levels.Length];
        var hostCounts = new int[levels.Length];
        var members = new UpstreamEndpoint[levels.Length][];
        var healthy = new UpstreamEndpoint[levels.Length][];
        for (var p = 0u; p < levels.Length; p++)
        {
            members[p] = endpoints.Where(e => e.Priority == p).ToArray();
            healthy[p] = members[p].Where(e => e.IsAvailable).ToArray();
            healthyTotal += healthy[p].Length;
            hostCounts[p] = members[p].Length;
            health[p] = members[p].Length == 0 ? 0 : (int)Math.Min(100, Math.Floor(overprovisioning * 100.0 * healthy[p].Length / members[p].Length));
        }

        // Envoy puts a level in panic only while the levels together cannot take all the load.
        var totalAvailable = Math.Min(100, health.Sum());
        for (var p = 0; p < levels.Length; p++)
        {
            var panic = totalAvailable < 100 && members[p].Length > 0 && 100.0 * healthy[p].Length / members[p].Length < lb.PanicThresholdPercent;
            levels[p] = PriorityLevel.Build(members[p], healthy[p], panic, lb, overprovisioning, random, weightOf);
        }

        return new HostSelection(levels, CumulativeLoad(health, hostCounts, lb.PanicThresholdPercent > 0), random, healthyTotal, endpoints.Length);
    }

    public UpstreamEndpoint? Pick(ulong? hash, IReadOnlyCollection<UpstreamEndpoint>? avoid)
    {
        if (_cumulativeLoad.Length == 0 || _cumulativeLoad[^1] == 0)
        {
            return null;
        }

        // Envoy chooses the priority with the hash when there is one, so a key sticks to a level too.
        var roll = (int)(hash is { } h ? h % 100 : (ulong)(_random() * 100));
        var priority = 0;
        while (priority < _cumulativeLoad.Length - 1 && roll >= _cumulativeLoad[priority])
        {
            priority++;
        }

        var level = _levels[priority];
        UpstreamEndpoint? picked = null;
        var attempts = avoid is { Count: > 0 } ? 3 : 1;
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            picked = level.Pick(hash, attempt);
            if (picked == null || avoid == null || !Contains(avoid, picked))
            {
                return picked;
            }
        }

        return picked;
    }

    private static bool Contains(IReadOnlyCollection<UpstreamEndpoint> avoid, UpstreamEndpoint endpoint)
    {
        // By address: an endpoint update between tries replaces the objects but not the hosts.
        foreach (var e in avoid)
        {
            if (ReferenceEquals(e, endpoint) || e.Address == endpoint.Address)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Envoy's priority load: each level takes its health share, normalized to the total health
    /// (capped at 100) so load is never lost; when no level has a healthy host and panic mode is
    /// on, load follows host counts instead (all levels are in panic).
    /// </summary>
    internal static int[] CumulativeLoad(int[] health, int[] hostCounts, bool panicEnabled)
    {
        var total = Math.Min(100, health.Sum());
        var load = new int[health.Length];
        if (total == 0)
        {
            var hosts = hostCounts.Sum();
            if (!panicEnabled || hosts == 0)
            {
                return new int[health.Length];
            }

            var left = 100;
            for (var p = 0; p < load.Length; p++)
            {
                load[p] = Math.Min(left, hostCounts[p] * 100 / hosts);
                left -= load[p];
            }

            load[Array.FindIndex(hostCounts, c => c > 0)] += left;
        }
        else
        {
            var left = 100;
            for (var p = 0; p < load.Length; p++)
            {
                load[p] = Math.Min(left, health[p] * 100 / total);
                left -= load[p];
            }

            load[Array.FindIndex(health, h => h > 0)] += left;
        }

        var cumulative = new int[load.Length];
        var sum = 0;
        for (var p = 0; p < load.Length; p++)
        {
            sum += load[p];
            cumulative[p] = sum;
        }

        return cumulative;
    }
}

/// <summary>One priority level: a picker over its usable hosts, or a locality schedule with a picker per locality.</summary>
internal sealed class PriorityLevel
{
    private readonly HostPicker? _whole;
    private readonly HostPicker?[] _localities;
    private readonly int[] _localitySchedule;
    private long _nextLocality;

    private PriorityLevel(HostPicker? whole, HostPicker?[] localities, int[] localitySchedule)
    {
        _whole = whole;
        _localities = localities;
        _localitySchedule = localitySchedule;
    }

    public static PriorityLevel Build(UpstreamEndpoint[] members, UpstreamEndpoint[] healthy, bool panic, LoadBalancingSettings lb, double overprovisioning, Func<double> random, Func<UpstreamEndpoint, uint> weightOf)
    {
        var usable = panic ? members : healthy;
        var consistent = lb.Policy is UpstreamLbPolicy.RingHash or UpstreamLbPolicy.Maglev;
        if (usable.Length == 0)
        {
            return new PriorityLevel(null, [], []);
        }

        var groups = usable.GroupBy(e => e.LocalityGroup).OrderBy(g => g.Key).ToArray();
        if (!lb.LocalityWeighted || panic)
        {
            return new PriorityLevel(HostPicker.Create(lb, usable, usable.Select(weightOf).ToArray(), random), [], []);
        }

        // Locality weight × the locality's availability (healthy/total × overprovisioning, at most 1).
        var localityWeights = new uint[groups.Length];
        for (var i = 0; i < groups.Length; i++)
        {
            var key = groups[i].Key;
            var total = members.Count(e => e.LocalityGroup == key);
            var available = Math.Min(1.0, overprovisioning * groups[i].Count() / total);
            localityWeights[i] = (uint)Math.Round(groups[i].First().LocalityWeight * available * 1000);
        }

        if (consistent)
        {
            // Thread-aware balancers fold locality weight into host weight, as Envoy does.
            var weights = new List<uint>();
            var hosts = new List<UpstreamEndpoint>();
            for (var i = 0; i < groups.Length; i++)
            {
                var groupWeight = (ulong)groups[i].Sum(e => (long)e.Weight);
                foreach (var e in groups[i])
                {
                    var w = (uint)Math.Clamp((double)localityWeights[i] * e.Weight / Math.Max(1UL, groupWeight), 0, uint.MaxValue);
                    if (w > 0)
                    {
                        hosts.Add(e);
                        weights.Add(w);
                    }
                }
            }

            return hosts.Count == 0
                ? new PriorityLevel(null, [], [])
                : new PriorityLevel(HostPicker.Create(lb, hosts.ToArray(), weights.ToArray(), random), [], []);
        }

        var schedule = HostPicker.WeightedSchedule(localityWeights);
        if (schedule.Length == 0)
        {
            // No locality has weight (unset weights): Envoy then balances over the level's healthy hosts.
            return new PriorityLevel(HostPicker.Create(lb, usable, usable.Select(weightOf).ToArray(), random), [], []);
        }

        var pickers = groups.Select(g => (HostPicker?)HostPicker.Create(lb, g.ToArray(), g.Select(weightOf).ToArray(), random)).ToArray();
        return new PriorityLevel(null, pickers, schedule);
    }

    public UpstreamEndpoint? Pick(ulong? hash, int attempt)
    {
        if (_whole != null)
        {
            return _whole.Pick(hash, attempt);
        }

        if (_localitySchedule.Length == 0)
        {
            return null;
        }

        var n = (ulong)Interlocked.Increment(ref _nextLocality) - 1;
        return _localities[_localitySchedule[(int)(n % (ulong)_localitySchedule.Length)]]?.Pick(hash, attempt);
    }
}
