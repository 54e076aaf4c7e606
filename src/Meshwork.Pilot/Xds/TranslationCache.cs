using System.Collections.Concurrent;
using Meshwork.Pilot.Generators;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Xds;

/// <summary>
/// Caches generator output by its exact inputs within one snapshot: the type, the requested names and
/// the proxy. For a <see cref="ISharedResourceGenerator"/> that proxy is the reduced one the generator
/// runs on (<see cref="ISharedResourceGenerator.SharedInputs"/>), so a thousand sidecars that see the
/// same services share one set of clusters, endpoints and routes; their own few resources are added per
/// call. A new snapshot starts a new cache, so no entry can outlive its inputs. Each entry is generated
/// once even when many pushes ask for it at the same time.
/// </summary>
public sealed class TranslationCache
{
    private readonly object _gate = new();
    private long _version = -1;
    private ConcurrentDictionary<Key, Lazy<GeneratedSet>> _entries = new();

    /// <summary>Lookups answered from the cache (whole outputs and shared parts).</summary>
    public long Hits;

    /// <summary>Lookups that generated (whole outputs and shared parts).</summary>
    public long Misses;

    public IReadOnlyList<GeneratedResource> GetOrGenerate(IResourceGenerator generator, MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names)
    {
        var entries = EntriesFor(snapshot.Version);
        if (generator is not ISharedResourceGenerator sharing)
        {
            return Lookup(entries, new Key(generator.TypeUrl, proxy, NameSet.View(names)), () => GeneratedSet.Of(generator.Generate(snapshot, proxy, names)));
        }

        // The proxy's own resources are few and cheap (CDS: its inbound clusters), so only the shared
        // part is kept; keeping whole outputs too would hold a copy of each proxy's requested names.
        var inputs = sharing.SharedInputs(snapshot, proxy);
        var shared = Lookup(entries, new Key(generator.TypeUrl, inputs, NameSet.View(names)), () => GeneratedSet.Of(sharing.GenerateShared(snapshot, inputs, names)));
        var own = sharing.GenerateOwn(snapshot, proxy, names);
        return own.Count == 0 ? shared : GeneratedSet.Merge(shared, own);
    }

    private GeneratedSet Lookup(ConcurrentDictionary<Key, Lazy<GeneratedSet>> entries, Key key, Func<GeneratedSet> generate)
    {
        if (entries.TryGetValue(key, out var cached))
        {
            Interlocked.Increment(ref Hits);
            return cached.Value;
        }

        var created = new Lazy<GeneratedSet>(generate, LazyThreadSafetyMode.ExecutionAndPublication);
        var entry = entries.GetOrAdd(key with { Names = key.Names.Frozen() }, created);
        Interlocked.Increment(ref ReferenceEquals(entry, created) ? ref Misses : ref Hits);
        return entry.Value;
    }

    private ConcurrentDictionary<Key, Lazy<GeneratedSet>> EntriesFor(long version)
    {
        lock (_gate)
        {
            if (version != _version)
            {
                _version = version;
                _entries = new ConcurrentDictionary<Key, Lazy<GeneratedSet>>();
            }

            return _entries;
        }
    }

    private sealed record Key(string TypeUrl, ProxyNode Proxy, NameSet Names);

    /// <summary>
    /// Requested names compared as a set, without sorting them: a proxy subscribed to thousands of
    /// endpoints looks them up on every push. A lookup wraps the live set; a stored key owns a copy.
    /// </summary>
    private readonly struct NameSet : IEquatable<NameSet>
    {
        private readonly IReadOnlySet<string>? _names;
        private readonly int _hash;

        private NameSet(IReadOnlySet<string>? names, int hash)
        {
            _names = names;
            _hash = hash;
        }

        public static NameSet View(IReadOnlySet<string>? names)
        {
            if (names == null)
            {
                return default;
            }

            // Order-independent: the sum of the names' hashes.
            var hash = names.Count;
            foreach (var name in names)
            {
                hash = unchecked(hash + StringComparer.Ordinal.GetHashCode(name));
            }

            return new NameSet(names, hash);
        }

        public NameSet Frozen() => _names == null ? this : new NameSet(new HashSet<string>(_names, StringComparer.Ordinal), _hash);

        public bool Equals(NameSet other) =>
            _hash == other._hash
            && (ReferenceEquals(_names, other._names)
                || (_names != null && other._names != null && _names.Count == other._names.Count && _names.SetEquals(other._names)));

        public override bool Equals(object? obj) => obj is NameSet other && Equals(other);

        public override int GetHashCode() => _hash;
    }
}
