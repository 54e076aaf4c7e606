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
/// Across snapshots, an output equal to the one the same inputs gave last time is that earlier object,
/// and an unchanged resource in a changed output is the earlier resource: while a thousand sidecars
/// join, each join is a new snapshot, and the proxies that still hold what earlier snapshots gave them
/// would otherwise keep one copy of every cluster and endpoint per snapshot alive (more than 768 MB at
/// 1000 proxies and 1000 services, past a 1 GB container's heap).
/// </summary>
public sealed class TranslationCache
{
    private readonly object _gate = new();
    private long _version = -1;
    private ConcurrentDictionary<Key, Lazy<GeneratedSet>> _entries = new();

    /// <summary>The last output of each key, with the snapshot version it was last generated or confirmed in.</summary>
    private readonly ConcurrentDictionary<Key, Latest> _latest = new();

    /// <summary>Outputs whose inputs nobody has asked about for this many snapshots are forgotten.</summary>
    private const long LatestKeptFor = 64;

    /// <summary>Lookups answered from the cache (whole outputs and shared parts).</summary>
    public long Hits;

    /// <summary>Lookups that generated (whole outputs and shared parts).</summary>
    public long Misses;

    public IReadOnlyList<GeneratedResource> GetOrGenerate(IResourceGenerator generator, MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names)
    {
        var entries = EntriesFor(snapshot.Version);
        if (generator is not ISharedResourceGenerator sharing)
        {
            return Lookup(entries, snapshot.Version, new Key(generator.TypeUrl, proxy, NameSet.View(names)), () => GeneratedSet.Of(generator.Generate(snapshot, proxy, names)));
        }

        // The proxy's own resources are few and cheap (CDS: its inbound clusters), so only the shared
        // part is kept; keeping whole outputs too would hold a copy of each proxy's requested names.
        var inputs = sharing.SharedInputs(snapshot, proxy);
        var shared = Lookup(entries, snapshot.Version, new Key(generator.TypeUrl, inputs, NameSet.View(names)), () => GeneratedSet.Of(sharing.GenerateShared(snapshot, inputs, names)));
        var own = sharing.GenerateOwn(snapshot, proxy, names);
        return own.Count == 0 ? shared : GeneratedSet.Merge(shared, own);
    }

    private GeneratedSet Lookup(ConcurrentDictionary<Key, Lazy<GeneratedSet>> entries, long version, Key key, Func<GeneratedSet> generate)
    {
        if (entries.TryGetValue(key, out var cached))
        {
            Interlocked.Increment(ref Hits);
            return cached.Value;
        }

        var stored = key with { Names = key.Names.Frozen() };
        var created = new Lazy<GeneratedSet>(() => Reuse(stored, version, generate()), LazyThreadSafetyMode.ExecutionAndPublication);
        var entry = entries.GetOrAdd(stored, created);
        Interlocked.Increment(ref ReferenceEquals(entry, created) ? ref Misses : ref Hits);
        return entry.Value;
    }

    /// <summary>
    /// <paramref name="fresh"/>, or the earlier output of the same inputs when it is equal, or else
    /// <paramref name="fresh"/> holding the earlier resources it did not change.
    /// </summary>
    private GeneratedSet Reuse(Key key, long version, GeneratedSet fresh)
    {
        if (_latest.TryGetValue(key, out var latest))
        {
            if (latest.Set.Fingerprint == fresh.Fingerprint)
            {
                latest.Version = Math.Max(latest.Version, version);
                return latest.Set;
            }

            fresh = fresh.Reusing(latest.Set);
            if (latest.Version > version)
            {
                // Generated for an older snapshot than the output already kept: keep the newer.
                return fresh;
            }
        }

        _latest[key] = new Latest(fresh, version);
        return fresh;
    }

    private ConcurrentDictionary<Key, Lazy<GeneratedSet>> EntriesFor(long version)
    {
        lock (_gate)
        {
            if (version != _version)
            {
                _version = version;
                _entries = new ConcurrentDictionary<Key, Lazy<GeneratedSet>>();
                foreach (var (key, latest) in _latest)
                {
                    if (latest.Version < version - LatestKeptFor)
                    {
                        _latest.TryRemove(key, out _);
                    }
                }
            }

            return _entries;
        }
    }

    private sealed class Latest(GeneratedSet set, long version)
    {
        public GeneratedSet Set { get; } = set;

        public long Version { get; set; } = version;
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

        public static NameSet View(IReadOnlySet<string>? names) => names switch
        {
            null => default,
            SubscribedNames subscribed => new NameSet(subscribed, subscribed.Hash),
            _ => new NameSet(names, SubscribedNames.HashOf(names)),
        };

        /// <summary>A key's own copy of the names; an interned subscription is immutable, so it is kept as it is.</summary>
        public NameSet Frozen() => _names is null or SubscribedNames ? this : new NameSet(new SubscribedNames(_names), _hash);

        public bool Equals(NameSet other) =>
            _hash == other._hash
            && (ReferenceEquals(_names, other._names)
                || (_names != null && other._names != null && _names.Count == other._names.Count && _names.SetEquals(other._names)));

        public override bool Equals(object? obj) => obj is NameSet other && Equals(other);

        public override int GetHashCode() => _hash;
    }
}
