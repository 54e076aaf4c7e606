namespace Meshwork.Proxy.Upstream;

/// <summary>
/// Picks one host from a fixed set, built once whenever the set or its health changes. Stateful
/// policies (round robin) keep only an index, so picking never locks or allocates.
/// </summary>
internal abstract class HostPicker
{
    /// <param name="hash">The route's hash, for RING_HASH and MAGLEV; others ignore it.</param>
    /// <param name="attempt">0 for the first pick; later picks for the same request (avoiding previous hosts) move on.</param>
    public abstract UpstreamEndpoint Pick(ulong? hash, int attempt);

    public static HostPicker Create(LoadBalancingSettings lb, UpstreamEndpoint[] hosts, uint[] weights, Func<double> random) => lb.Policy switch
    {
        UpstreamLbPolicy.LeastRequest => new LeastRequestPicker(hosts, weights, lb.ChoiceCount, random),
        UpstreamLbPolicy.Random => new RandomPicker(hosts, random),
        UpstreamLbPolicy.RingHash => new RingHashPicker(hosts, weights, lb.MinRingSize, lb.MaxRingSize, random),
        UpstreamLbPolicy.Maglev => new MaglevPicker(hosts, weights, lb.MaglevTableSize, random),
        _ => new RoundRobinPicker(hosts, weights, random),
    };

    /// <summary>
    /// Envoy's EDF schedule unrolled once: host i appears weight_i times per cycle, spread out by
    /// earliest deadline (ties by position). Weights are divided by their GCD and scaled so a cycle
    /// stays under 64K entries. Equal weights give plain rotation.
    /// </summary>
    public static int[] WeightedSchedule(uint[] weights)
    {
        ulong gcd = 0;
        ulong sum = 0;
        foreach (var w in weights)
        {
            gcd = Gcd(gcd, w);
            sum += w;
        }

        if (gcd == 0)
        {
            return [];
        }

        const ulong maxCycle = 1 << 16;
        var scaled = new long[weights.Length];
        var scale = sum / gcd > maxCycle ? (double)maxCycle / sum : 1.0 / gcd;
        for (var i = 0; i < weights.Length; i++)
        {
            scaled[i] = weights[i] == 0 ? 0 : Math.Max(1, (long)(weights[i] * scale));
        }

        var queue = new PriorityQueue<int, (double Deadline, int Index)>();
        for (var i = 0; i < scaled.Length; i++)
        {
            if (scaled[i] > 0)
            {
                queue.Enqueue(i, (1.0 / scaled[i], i));
            }
        }

        var total = 0L;
        foreach (var s in scaled)
        {
            total += s;
        }

        var schedule = new int[total];
        for (var n = 0; n < schedule.Length; n++)
        {
            queue.TryDequeue(out var index, out var key);
            schedule[n] = index;
            queue.Enqueue(index, (key.Deadline + (1.0 / scaled[index]), index));
        }

        return schedule;
    }

    private static ulong Gcd(ulong a, ulong b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }
}

/// <summary>ROUND_ROBIN: the weighted schedule walked by an atomic counter that starts at a random offset, as Envoy seeds it, so proxies do not all start on the same host.</summary>
internal sealed class RoundRobinPicker : HostPicker
{
    private readonly UpstreamEndpoint[] _hosts;
    private readonly int[] _schedule;
    private long _next;

    public RoundRobinPicker(UpstreamEndpoint[] hosts, uint[] weights, Func<double> random)
    {
        _hosts = hosts;
        _schedule = WeightedSchedule(weights);
        _next = (long)(random() * _schedule.Length);
    }

    public override UpstreamEndpoint Pick(ulong? hash, int attempt)
    {
        var n = (ulong)Interlocked.Increment(ref _next) - 1;
        return _hosts[_schedule[(int)(n % (ulong)_schedule.Length)]];
    }
}

/// <summary>RANDOM: uniform over the hosts, weights ignored, as Envoy's random balancer.</summary>
internal sealed class RandomPicker(UpstreamEndpoint[] hosts, Func<double> random) : HostPicker
{
    public override UpstreamEndpoint Pick(ulong? hash, int attempt) => hosts[Math.Min(hosts.Length - 1, (int)(random() * hosts.Length))];
}

/// <summary>
/// LEAST_REQUEST. Equal weights: Envoy's power of N choices — N random hosts, the one with fewest
/// active requests wins. Unequal weights: Envoy schedules by weight / (active + 1); here N hosts
/// are drawn in proportion to weight and the lowest (active + 1) / weight wins, which keeps the
/// same preference without a lock around a shared schedule.
/// </summary>
internal sealed class LeastRequestPicker : HostPicker
{
    private readonly UpstreamEndpoint[] _hosts;
    private readonly double[]? _cumulativeWeights;
    private readonly uint[] _weights;
    private readonly int _choices;
    private readonly Func<double> _random;

    public LeastRequestPicker(UpstreamEndpoint[] hosts, uint[] weights, int choices, Func<double> random)
    {
        _hosts = hosts;
        _weights = weights;
        _choices = choices;
        _random = random;
        if (weights.Any(w => w != weights[0]))
        {
            _cumulativeWeights = new double[weights.Length];
            var sum = 0.0;
            for (var i = 0; i < weights.Length; i++)
            {
                sum += weights[i];
                _cumulativeWeights[i] = sum;
            }
        }
    }

    public override UpstreamEndpoint Pick(ulong? hash, int attempt)
    {
        if (_hosts.Length == 1)
        {
            return _hosts[0];
        }

        var best = -1;
        var bestLoad = double.MaxValue;
        for (var c = 0; c < _choices; c++)
        {
            var candidate = Draw();
            var load = (_hosts[candidate].ActiveRequests + 1.0) / Math.Max(1u, _weights[candidate]);
            if (load < bestLoad)
            {
                best = candidate;
                bestLoad = load;
            }
        }

        return _hosts[best];
    }

    private int Draw()
    {
        if (_cumulativeWeights == null)
        {
            return Math.Min(_hosts.Length - 1, (int)(_random() * _hosts.Length));
        }

        var target = _random() * _cumulativeWeights[^1];
        var index = Array.BinarySearch(_cumulativeWeights, target);
        index = index < 0 ? ~index : index + 1;
        return Math.Min(index, _hosts.Length - 1);
    }
}
