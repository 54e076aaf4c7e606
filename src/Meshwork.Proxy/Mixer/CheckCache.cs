using System.Collections.Concurrent;
using Istio.Mixer.V1;

namespace Meshwork.Proxy.Mixer;

/// <summary>What Mixer said about a request's preconditions: a gRPC status code (0 allows) and its message, and the rule's header operations.</summary>
internal sealed record CheckVerdict(int Code, string Message, RouteDirective? Directive = null)
{
    public bool Allowed => Code == 0;
}

/// <summary>
/// Istio's check cache: Mixer's precondition answers kept under the key their referenced attributes
/// give the request (<see cref="ReferencedShape"/>), each for its valid_duration and at most
/// valid_use_count uses (unlimited when Mixer sends none). A request is looked up under every shape
/// seen so far; the first live entry answers it. Bounded: a full cache drops its expired entries,
/// and stores nothing more while still full.
/// </summary>
internal sealed class CheckCache(int capacity)
{
    private readonly ConcurrentDictionary<string, ReferencedShape> _shapesById = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private volatile ReferencedShape[] _shapes = [];

    public int Count => _entries.Count;

    /// <summary>A live answer for <paramref name="attributes"/>, using it once; null on a miss.</summary>
    public CheckVerdict? Lookup(IReadOnlyDictionary<string, object> attributes, DateTimeOffset now)
    {
        foreach (var shape in _shapes)
        {
            if (shape.KeyFor(attributes) is not { } key || !_entries.TryGetValue(key, out var entry))
            {
                continue;
            }

            if (entry.TryUse(now))
            {
                return entry.Verdict;
            }

            _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
        }

        return null;
    }

    /// <summary>Keeps Mixer's answer for the requests that share the referenced attributes' values with this one.</summary>
    public void Store(ReferencedAttributes? referenced, IReadOnlyDictionary<string, object> attributes, CheckVerdict verdict, TimeSpan validDuration, int validUseCount, DateTimeOffset now)
    {
        if (validDuration <= TimeSpan.Zero || ReferencedShape.From(referenced) is not { } parsed)
        {
            return;
        }

        var shape = _shapesById.GetOrAdd(parsed.Id, _ =>
        {
            lock (_shapesById)
            {
                _shapes = [.. _shapes, parsed];
            }

            return parsed;
        });
        if (shape.KeyFor(attributes) is not { } key)
        {
            return;
        }

        if (_entries.Count >= capacity)
        {
            foreach (var (k, e) in _entries)
            {
                if (e.Expires <= now)
                {
                    _entries.TryRemove(k, out _);
                }
            }

            if (_entries.Count >= capacity)
            {
                return;
            }
        }

        _entries[key] = new Entry(verdict, now + validDuration, validUseCount > 0 ? validUseCount : int.MaxValue);
    }

    private sealed class Entry(CheckVerdict verdict, DateTimeOffset expires, int uses)
    {
        private int _uses = uses;

        public CheckVerdict Verdict { get; } = verdict;

        public DateTimeOffset Expires { get; } = expires;

        public bool TryUse(DateTimeOffset now) => now < Expires && Interlocked.Decrement(ref _uses) >= 0;
    }
}
