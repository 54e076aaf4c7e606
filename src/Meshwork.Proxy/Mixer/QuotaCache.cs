using System.Collections.Concurrent;
using Istio.Mixer.V1;

namespace Meshwork.Proxy.Mixer;

/// <summary>What the quota cache can say about one quota charge without asking Mixer.</summary>
internal enum QuotaLookup { Miss, Granted, Exhausted }

/// <summary>
/// Quota prefetch (Istio's quota cache, simplified): the proxy asks Mixer for more than a request
/// needs (<see cref="PrefetchFactor"/> times its charge, best effort) and serves later requests that
/// share the quota's referenced attributes from what was granted, until it runs out or Mixer's
/// valid_duration ends. When Mixer grants nothing, the quota is known exhausted until then, so
/// requests are refused without a call. Entries are keyed like the check cache's.
/// </summary>
internal sealed class QuotaCache
{
    /// <summary>How many requests' worth of quota one call asks for.</summary>
    public const int PrefetchFactor = 10;

    /// <summary>Past this many entries a store first drops the expired ones (Istio's quota cache held 10000).</summary>
    private const int MaxEntries = 10000;

    private readonly ConcurrentDictionary<string, ReferencedShape[]> _shapes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Tokens> _tokens = new(StringComparer.Ordinal);

    public QuotaLookup TryTake(string quota, long charge, IReadOnlyDictionary<string, object> attributes, DateTimeOffset now)
    {
        if (!_shapes.TryGetValue(quota, out var shapes))
        {
            return QuotaLookup.Miss;
        }

        foreach (var shape in shapes)
        {
            if (shape.KeyFor(attributes) is not { } key || !_tokens.TryGetValue(quota + "\0" + key, out var tokens))
            {
                continue;
            }

            lock (tokens)
            {
                if (now >= tokens.Expires)
                {
                    continue;
                }

                if (tokens.Remaining >= charge)
                {
                    tokens.Remaining -= charge;
                    return QuotaLookup.Granted;
                }

                if (tokens.Exhausted)
                {
                    return QuotaLookup.Exhausted;
                }
            }
        }

        return QuotaLookup.Miss;
    }

    /// <summary>Keeps what is left of a grant (or that nothing was granted) until <paramref name="validDuration"/> ends.</summary>
    public void Store(string quota, ReferencedAttributes? referenced, IReadOnlyDictionary<string, object> attributes, long left, bool exhausted, TimeSpan validDuration, DateTimeOffset now)
    {
        if (validDuration <= TimeSpan.Zero || ReferencedShape.From(referenced) is not { } shape || shape.KeyFor(attributes) is not { } key)
        {
            return;
        }

        if (_tokens.Count >= MaxEntries)
        {
            foreach (var (k, t) in _tokens)
            {
                if (t.Expires <= now)
                {
                    _tokens.TryRemove(k, out _);
                }
            }
        }

        _shapes.AddOrUpdate(quota, _ => [shape], (_, known) => known.Any(s => s.Id == shape.Id) ? known : [.. known, shape]);
        _tokens[quota + "\0" + key] = new Tokens { Remaining = left, Exhausted = exhausted, Expires = now + validDuration };
    }

    private sealed class Tokens
    {
        public long Remaining { get; set; }

        public bool Exhausted { get; init; }

        public DateTimeOffset Expires { get; init; }
    }
}
