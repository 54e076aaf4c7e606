using System.Collections;

namespace Meshwork.Pilot.Xds;

/// <summary>
/// A subscription's resource names once the proxy's request is handled: immutable, hashed once, and
/// interned by the server, so the thousand sidecars that subscribe to the same thousands of
/// endpoints share one set. The translation cache then finds a proxy's output by reference instead
/// of hashing and comparing thousands of names on every push, and meshd holds one set, not one per
/// connection (about 80 KB each at 1000 services).
/// </summary>
internal sealed class SubscribedNames : IReadOnlySet<string>, IEquatable<SubscribedNames>
{
    private readonly HashSet<string> _names;

    public SubscribedNames(IEnumerable<string> names)
    {
        _names = new HashSet<string>(names, StringComparer.Ordinal);
        _names.TrimExcess();
        Hash = HashOf(_names);
    }

    public static SubscribedNames Empty { get; } = new([]);

    /// <summary>Order-independent: the sum of the names' hashes, with the count.</summary>
    public int Hash { get; }

    public int Count => _names.Count;

    /// <summary>The same order-independent hash for any set of names, so a lookup by a live set finds an interned one.</summary>
    public static int HashOf(IReadOnlySet<string> names)
    {
        var hash = names.Count;
        foreach (var name in names)
        {
            hash = unchecked(hash + StringComparer.Ordinal.GetHashCode(name));
        }

        return hash;
    }

    public bool Equals(SubscribedNames? other) =>
        other != null && (ReferenceEquals(this, other) || (Hash == other.Hash && Count == other.Count && _names.SetEquals(other._names)));

    public override bool Equals(object? obj) => Equals(obj as SubscribedNames);

    public override int GetHashCode() => Hash;

    public bool Contains(string item) => _names.Contains(item);

    public bool IsProperSubsetOf(IEnumerable<string> other) => _names.IsProperSubsetOf(other);

    public bool IsProperSupersetOf(IEnumerable<string> other) => _names.IsProperSupersetOf(other);

    public bool IsSubsetOf(IEnumerable<string> other) => _names.IsSubsetOf(other);

    public bool IsSupersetOf(IEnumerable<string> other) => _names.IsSupersetOf(other);

    public bool Overlaps(IEnumerable<string> other) => _names.Overlaps(other);

    public bool SetEquals(IEnumerable<string> other) => _names.SetEquals(other);

    public IEnumerator<string> GetEnumerator() => _names.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
