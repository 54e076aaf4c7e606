using System.Collections;
using System.Collections.Immutable;

namespace Meshwork.Config.Values;

/// <summary>
/// An immutable map with structural equality that keeps the order the entries were written in
/// (Istio gives meaning to none of its map orders, but error messages and dumps read better in
/// source order). Proto <c>map&lt;K, V&gt;</c> fields bind to this type.
/// </summary>
public readonly struct ValueMap<TKey, TValue> : IReadOnlyDictionary<TKey, TValue>, IEquatable<ValueMap<TKey, TValue>>
    where TKey : notnull
{
    private readonly ImmutableArray<KeyValuePair<TKey, TValue>> _entries;
    private readonly ImmutableDictionary<TKey, TValue>? _index;

    public ValueMap(IEnumerable<KeyValuePair<TKey, TValue>> entries)
    {
        _entries = entries.ToImmutableArray();
        _index = _entries.ToImmutableDictionary(e => e.Key, e => e.Value);
    }

    public static ValueMap<TKey, TValue> Empty => default;

    private ImmutableArray<KeyValuePair<TKey, TValue>> Entries =>
        _entries.IsDefault ? ImmutableArray<KeyValuePair<TKey, TValue>>.Empty : _entries;

    private ImmutableDictionary<TKey, TValue> Index => _index ?? ImmutableDictionary<TKey, TValue>.Empty;

    public int Count => Entries.Length;

    public bool IsEmpty => Entries.IsEmpty;

    public TValue this[TKey key] => Index[key];

    public IEnumerable<TKey> Keys => Entries.Select(e => e.Key);

    public IEnumerable<TValue> Values => Entries.Select(e => e.Value);

    public bool ContainsKey(TKey key) => Index.ContainsKey(key);

    public bool TryGetValue(TKey key, out TValue value) => Index.TryGetValue(key, out value!);

    public IEnumerator<KeyValuePair<TKey, TValue>> GetEnumerator() => ((IEnumerable<KeyValuePair<TKey, TValue>>)Entries).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool Equals(ValueMap<TKey, TValue> other)
    {
        if (Count != other.Count)
        {
            return false;
        }

        var comparer = EqualityComparer<TValue>.Default;
        foreach (var (key, value) in Entries)
        {
            if (!other.TryGetValue(key, out var theirs) || !comparer.Equals(value, theirs))
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => obj is ValueMap<TKey, TValue> other && Equals(other);

    public override int GetHashCode()
    {
        // Order-independent, to agree with Equals.
        var hash = 0;
        foreach (var (key, value) in Entries)
        {
            hash ^= HashCode.Combine(key, value);
        }

        return hash;
    }

    public static bool operator ==(ValueMap<TKey, TValue> left, ValueMap<TKey, TValue> right) => left.Equals(right);

    public static bool operator !=(ValueMap<TKey, TValue> left, ValueMap<TKey, TValue> right) => !left.Equals(right);

    public override string ToString() => "{" + string.Join(", ", Entries.Select(e => $"{e.Key}: {e.Value}")) + "}";
}

public static class ValueMap
{
    public static ValueMap<string, TValue> Of<TValue>(params (string Key, TValue Value)[] entries) =>
        new(entries.Select(e => KeyValuePair.Create(e.Key, e.Value)));
}
