using Meshwork.Proxy.Hashing;

namespace Meshwork.Proxy.Upstream;

/// <summary>
/// RING_HASH as Envoy builds it: each host gets entries in proportion to its weight, at
/// XXH64("ADDRESS_N"); a request's hash goes to the first entry at or after it. Removing a host
/// only moves the requests that landed on its entries. Without a hash, a random host.
/// </summary>
internal sealed class RingHashPicker : HostPicker
{
    private readonly ulong[] _hashes;
    private readonly UpstreamEndpoint[] _owners;
    private readonly UpstreamEndpoint[] _hosts;
    private readonly Func<double> _random;

    public RingHashPicker(UpstreamEndpoint[] hosts, uint[] weights, ulong minRingSize, ulong maxRingSize, Func<double> random)
    {
        _hosts = hosts;
        _random = random;
        var sum = 0.0;
        foreach (var w in weights)
        {
            sum += w;
        }

        var minNormalized = double.MaxValue;
        foreach (var w in weights)
        {
            minNormalized = Math.Min(minNormalized, w / sum);
        }

        // Envoy: enough entries that the lightest host gets at least its share of min_ring_size, within max_ring_size.
        var scale = Math.Min(Math.Ceiling(minNormalized * minRingSize) / minNormalized, maxRingSize);
        var entries = new List<(ulong Hash, int Host)>((int)Math.Ceiling(scale));
        var current = 0.0;
        var target = 0.0;
        for (var h = 0; h < hosts.Length; h++)
        {
            target += scale * weights[h] / sum;
            for (var n = 0; current < target; n++, current++)
            {
                entries.Add((StableHash.Hash(hosts[h].Address + "_" + n), h));
            }
        }

        entries.Sort((a, b) => a.Hash != b.Hash ? a.Hash.CompareTo(b.Hash) : a.Host.CompareTo(b.Host));
        _hashes = new ulong[entries.Count];
        _owners = new UpstreamEndpoint[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            _hashes[i] = entries[i].Hash;
            _owners[i] = hosts[entries[i].Host];
        }
    }

    public int RingSize => _hashes.Length;

    public override UpstreamEndpoint Pick(ulong? hash, int attempt)
    {
        if (hash is not { } h || _hashes.Length == 0)
        {
            return _hosts[Math.Min(_hosts.Length - 1, (int)(_random() * _hosts.Length))];
        }

        var index = Array.BinarySearch(_hashes, h);
        index = (index < 0 ? ~index : index) % _hashes.Length;
        var owner = _owners[index];

        // A retry avoiding earlier hosts walks on to the attempt-th different host along the ring.
        for (var step = 1; attempt > 0 && step < _hashes.Length; step++)
        {
            var next = _owners[(index + step) % _hashes.Length];
            if (!ReferenceEquals(next, owner))
            {
                owner = next;
                attempt--;
            }
        }

        return owner;
    }
}

/// <summary>
/// MAGLEV as Envoy builds it: every host fills table slots along its own permutation
/// (offset XXH64(address, 0), skip XXH64(address, 1)), heavier hosts more often; a request's hash
/// indexes the table. Changing one host moves about 1/N of the keys. Without a hash, a random host.
/// </summary>
internal sealed class MaglevPicker : HostPicker
{
    private readonly UpstreamEndpoint[] _table;
    private readonly UpstreamEndpoint[] _hosts;
    private readonly Func<double> _random;

    public MaglevPicker(UpstreamEndpoint[] hosts, uint[] weights, int tableSize, Func<double> random)
    {
        _hosts = hosts;
        _random = random;
        _table = new UpstreamEndpoint[tableSize];
        var max = 0.0;
        var sum = 0.0;
        foreach (var w in weights)
        {
            sum += w;
        }

        var offsets = new ulong[hosts.Length];
        var skips = new ulong[hosts.Length];
        var normalized = new double[hosts.Length];
        var targets = new double[hosts.Length];
        var next = new ulong[hosts.Length];
        for (var i = 0; i < hosts.Length; i++)
        {
            offsets[i] = StableHash.Hash(hosts[i].Address, 0) % (ulong)tableSize;
            skips[i] = (StableHash.Hash(hosts[i].Address, 1) % (ulong)(tableSize - 1)) + 1;
            normalized[i] = weights[i] / sum;
            targets[i] = normalized[i];
            max = Math.Max(max, normalized[i]);
        }

        var filled = 0;
        for (var iteration = 1; filled < tableSize; iteration++)
        {
            for (var i = 0; i < hosts.Length && filled < tableSize; i++)
            {
                // A host of the largest weight takes a slot every iteration; one of a third of it every third.
                if (iteration * normalized[i] < targets[i])
                {
                    continue;
                }

                targets[i] += max;
                var slot = (offsets[i] + (skips[i] * next[i])) % (ulong)tableSize;
                while (_table[slot] != null)
                {
                    next[i]++;
                    slot = (offsets[i] + (skips[i] * next[i])) % (ulong)tableSize;
                }

                _table[slot] = hosts[i];
                next[i]++;
                filled++;
            }
        }
    }

    public override UpstreamEndpoint Pick(ulong? hash, int attempt)
    {
        if (hash is not { } h)
        {
            return _hosts[Math.Min(_hosts.Length - 1, (int)(_random() * _hosts.Length))];
        }

        // A retry that must avoid the previous host re-hashes deterministically rather than walking the table.
        var key = attempt == 0 ? h : h + ((ulong)attempt * 0x9E3779B97F4A7C15UL);
        return _table[key % (ulong)_table.Length];
    }
}
