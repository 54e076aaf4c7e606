using System.Collections.Immutable;
using Meshwork.Config.Resources;

namespace Meshwork.Config.Store;

/// <summary>
/// One consistent set of valid config, immutable and versioned. Readers take the current
/// snapshot and never lock; writers build a new one and swap it whole.
/// </summary>
public sealed record ConfigSnapshot(long Version, ImmutableSortedDictionary<ResourceKey, ConfigResource> Resources)
{
    public static ConfigSnapshot Empty { get; } = new(0, ImmutableSortedDictionary.Create<ResourceKey, ConfigResource>(ResourceKeyComparer.Instance));

    public IEnumerable<ConfigResource> OfKind(ResourceKind kind) => Resources.Values.Where(r => r.Kind == kind);

    public IEnumerable<T> Specs<T>()
        where T : class => Resources.Values.Select(r => r.Spec).OfType<T>();

    public ConfigResource? Get(ResourceKey key) => Resources.GetValueOrDefault(key);
}

/// <summary>What one publication changed: the keys added, updated (spec or metadata differ) and removed.</summary>
public sealed record ConfigChange(
    ConfigSnapshot Previous,
    ConfigSnapshot Current,
    IReadOnlyList<ResourceKey> Added,
    IReadOnlyList<ResourceKey> Updated,
    IReadOnlyList<ResourceKey> Removed)
{
    public bool IsEmpty => Added.Count == 0 && Updated.Count == 0 && Removed.Count == 0;
}

internal sealed class ResourceKeyComparer : IComparer<ResourceKey>
{
    public static ResourceKeyComparer Instance { get; } = new();

    public int Compare(ResourceKey x, ResourceKey y)
    {
        var c = string.CompareOrdinal(x.Kind, y.Kind);
        if (c != 0)
        {
            return c;
        }

        c = string.CompareOrdinal(x.Namespace, y.Namespace);
        return c != 0 ? c : string.CompareOrdinal(x.Name, y.Name);
    }
}
