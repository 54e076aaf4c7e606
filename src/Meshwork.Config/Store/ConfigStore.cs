using System.Collections.Immutable;
using Meshwork.Config.Resources;

namespace Meshwork.Config.Store;

/// <summary>
/// The in-memory config store: the current valid set, fed by one or more sources (a watched
/// directory, an API) that each replace their own part whole. Every change publishes a new
/// immutable <see cref="ConfigSnapshot"/> and tells subscribers exactly what changed.
/// When two sources define the same resource, the source registered first keeps it.
/// </summary>
public sealed class ConfigStore
{
    private readonly object _gate = new();
    private readonly List<Action<ConfigChange>> _subscribers = [];
    private ImmutableDictionary<string, ImmutableArray<ConfigResource>> _bySource = ImmutableDictionary<string, ImmutableArray<ConfigResource>>.Empty;
    private ImmutableList<string> _sourceOrder = ImmutableList<string>.Empty;
    private volatile ConfigSnapshot _current = ConfigSnapshot.Empty;

    public ConfigSnapshot Current => _current;

    /// <summary>Calls <paramref name="onChange"/> after every publication that changed something, in publication order.</summary>
    public IDisposable Subscribe(Action<ConfigChange> onChange)
    {
        lock (_gate)
        {
            _subscribers.Add(onChange);
        }

        return new Subscription(this, onChange);
    }

    /// <summary>Replaces everything <paramref name="source"/> contributed with <paramref name="resources"/>, in one publication.</summary>
    public ConfigChange ReplaceSource(string source, IEnumerable<ConfigResource> resources)
    {
        lock (_gate)
        {
            if (!_bySource.ContainsKey(source))
            {
                _sourceOrder = _sourceOrder.Add(source);
            }

            _bySource = _bySource.SetItem(source, resources.ToImmutableArray());
            return Publish();
        }
    }

    /// <summary>Adds or replaces one resource, as the in-memory API source.</summary>
    public ConfigChange Upsert(ConfigResource resource, string source = "api")
    {
        lock (_gate)
        {
            var existing = _bySource.GetValueOrDefault(source, ImmutableArray<ConfigResource>.Empty);
            var updated = existing.RemoveAll(r => r.Key == resource.Key).Add(resource);
            return ReplaceSource(source, updated);
        }
    }

    public ConfigChange Delete(ResourceKey key, string source = "api")
    {
        lock (_gate)
        {
            var existing = _bySource.GetValueOrDefault(source, ImmutableArray<ConfigResource>.Empty);
            return ReplaceSource(source, existing.RemoveAll(r => r.Key == key));
        }
    }

    private ConfigChange Publish()
    {
        var previous = _current;
        var builder = ImmutableSortedDictionary.CreateBuilder<ResourceKey, ConfigResource>(ResourceKeyComparer.Instance);
        foreach (var source in _sourceOrder)
        {
            foreach (var resource in _bySource[source])
            {
                builder.TryAdd(resource.Key, resource);
            }
        }

        var added = new List<ResourceKey>();
        var updated = new List<ResourceKey>();
        var removed = new List<ResourceKey>();
        foreach (var (key, resource) in builder)
        {
            if (!previous.Resources.TryGetValue(key, out var before))
            {
                added.Add(key);
            }
            else if (!SameContent(before, resource))
            {
                updated.Add(key);
            }
        }

        removed.AddRange(previous.Resources.Keys.Where(k => !builder.ContainsKey(k)));
        if (added.Count == 0 && updated.Count == 0 && removed.Count == 0)
        {
            return new ConfigChange(previous, previous, [], [], []);
        }

        var next = new ConfigSnapshot(previous.Version + 1, builder.ToImmutable());
        _current = next;
        var change = new ConfigChange(previous, next, added, updated, removed);
        foreach (var subscriber in _subscribers.ToArray())
        {
            subscriber(change);
        }

        return change;
    }

    private static bool SameContent(ConfigResource a, ConfigResource b) =>
        a.ApiVersion == b.ApiVersion && a.Metadata == b.Metadata && Equals(a.Spec, b.Spec);

    private sealed class Subscription(ConfigStore store, Action<ConfigChange> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (store._gate)
            {
                store._subscribers.Remove(handler);
            }
        }
    }
}
