using System.Collections.Concurrent;
using Meshwork.Config.Values;
using Meshwork.Pilot.Generators;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Xds;

/// <summary>
/// Caches generator output by its exact inputs: the snapshot version, the type, the requested names
/// and the whole <see cref="ProxyNode"/> (a record, compared by value). Nothing a generator reads is
/// left out of the key, and a new snapshot starts a new cache, so no entry can outlive its inputs.
/// </summary>
public sealed class TranslationCache
{
    private readonly object _gate = new();
    private long _version = -1;
    private ConcurrentDictionary<Key, IReadOnlyList<GeneratedResource>> _entries = new();

    public long Hits;

    public long Misses;

    public IReadOnlyList<GeneratedResource> GetOrGenerate(IResourceGenerator generator, MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names)
    {
        var entries = EntriesFor(snapshot.Version);
        var key = new Key(generator.TypeUrl, proxy, names == null ? (ValueList<string>?)null : new ValueList<string>(names.Order(StringComparer.Ordinal)));
        if (entries.TryGetValue(key, out var cached))
        {
            Interlocked.Increment(ref Hits);
            return cached;
        }

        Interlocked.Increment(ref Misses);
        var generated = generator.Generate(snapshot, proxy, names);
        entries.TryAdd(key, generated);
        return generated;
    }

    private ConcurrentDictionary<Key, IReadOnlyList<GeneratedResource>> EntriesFor(long version)
    {
        lock (_gate)
        {
            if (version != _version)
            {
                _version = version;
                _entries = new ConcurrentDictionary<Key, IReadOnlyList<GeneratedResource>>();
            }

            return _entries;
        }
    }

    private sealed record Key(string TypeUrl, ProxyNode Proxy, ValueList<string>? Names);
}
