using System.Net;

namespace Meshwork.Mixer.Attributes;

/// <summary>
/// A set of typed attribute values. Values are <see cref="string"/> (also DNS names, emails, URIs), <see cref="long"/>,
/// <see cref="double"/>, <see cref="bool"/>, <see cref="DateTimeOffset"/>, <see cref="TimeSpan"/>, <see cref="IPAddress"/>,
/// <c>byte[]</c> and string maps (<see cref="IReadOnlyDictionary{TKey,TValue}"/> of strings).
/// </summary>
public interface IAttributeBag
{
    bool TryGet(string name, out object? value);

    IEnumerable<string> Names { get; }
}

/// <summary>An attribute bag over a dictionary, built once per request or report record.</summary>
public sealed class AttributeBag : IAttributeBag
{
    private readonly Dictionary<string, object> _values;

    public AttributeBag(Dictionary<string, object> values) => _values = values;

    public AttributeBag()
        : this(new Dictionary<string, object>(StringComparer.Ordinal))
    {
    }

    public static AttributeBag Empty { get; } = new();

    public IEnumerable<string> Names => _values.Keys;

    public AttributeBag Set(string name, object value)
    {
        _values[name] = value;
        return this;
    }

    public bool TryGet(string name, out object? value)
    {
        var found = _values.TryGetValue(name, out var v);
        value = v;
        return found;
    }
}

/// <summary>An attribute an evaluation read: its name, the map key for string-map lookups, and whether it was present.</summary>
public readonly record struct AttributeReference(string Name, string? MapKey, bool Present);

/// <summary>
/// What expressions read attributes through. It records every read (when given a set), because the answer to a Check is
/// only valid for requests that agree on exactly those attributes: that set is what the proxy's check cache keys on.
/// </summary>
public sealed class AttributeReader(IAttributeBag bag, HashSet<AttributeReference>? references = null)
{
    public IAttributeBag Bag { get; } = bag;

    public HashSet<AttributeReference>? References { get; } = references;

    public object? Get(string name)
    {
        var found = Bag.TryGet(name, out var value);
        References?.Add(new AttributeReference(name, null, found));
        return found ? value : null;
    }

    public string? GetMapValue(string name, string key)
    {
        if (!Bag.TryGet(name, out var value) || value is not IReadOnlyDictionary<string, string> map)
        {
            References?.Add(new AttributeReference(name, null, false));
            return null;
        }

        var found = map.TryGetValue(key, out var s);
        References?.Add(new AttributeReference(name, key, found));
        return found ? s : null;
    }
}
