using System.Globalization;
using System.Text;
using Istio.Mixer.V1;

namespace Meshwork.Proxy.Mixer;

/// <summary>
/// What one Mixer answer depended on (its referenced attributes): which attributes, or which keys of
/// map attributes, it read with their exact values, and which it found absent. Requests that agree
/// on those get the same answer, so the shape turns a request's attributes into a cache key
/// (Istio's mixerclient Referenced): null when the request does not fit the shape (an attribute
/// the answer saw absent is present, or one it read is missing). Answers that matched by regex are
/// not cacheable (Istio keeps them out too).
/// </summary>
internal sealed class ReferencedShape
{
    private readonly (string Name, string? MapKey, bool Absent)[] _items;

    private ReferencedShape((string, string?, bool)[] items, string id)
    {
        _items = items;
        Id = id;
    }

    /// <summary>The shape in words, the same for equal shapes.</summary>
    public string Id { get; }

    public static ReferencedShape? From(ReferencedAttributes? referenced)
    {
        if (referenced == null)
        {
            return new ReferencedShape([], string.Empty);
        }

        var items = new List<(string, string?, bool)>(referenced.AttributeMatches.Count);
        foreach (var match in referenced.AttributeMatches)
        {
            if (match.Condition is not (ReferencedAttributes.Types.Condition.Exact or ReferencedAttributes.Types.Condition.Absence)
                || Word(match.Name, referenced.Words) is not { } name)
            {
                return null;
            }

            // Word 0 of the global dictionary is "source.ip", never a map key, so 0 means none (as in Istio).
            string? key = null;
            if (match.MapKey != 0)
            {
                key = Word(match.MapKey, referenced.Words);
                if (key == null)
                {
                    return null;
                }
            }

            items.Add((name, key, match.Condition == ReferencedAttributes.Types.Condition.Absence));
        }

        var sorted = items.Distinct().OrderBy(i => i.Item1, StringComparer.Ordinal).ThenBy(i => i.Item2, StringComparer.Ordinal).ToArray();
        var id = new StringBuilder();
        foreach (var (name, key, absent) in sorted)
        {
            id.Append(name).Append('[').Append(key).Append(']').Append(absent ? '-' : '=').Append(';');
        }

        return new ReferencedShape(sorted, id.ToString());
    }

    /// <summary>The cache key of <paramref name="attributes"/> under this shape, or null when they do not fit it.</summary>
    public string? KeyFor(IReadOnlyDictionary<string, object> attributes)
    {
        var key = new StringBuilder(Id).Append('\u0001');
        foreach (var (name, mapKey, absent) in _items)
        {
            attributes.TryGetValue(name, out var value);
            if (mapKey != null)
            {
                value = value is IReadOnlyDictionary<string, string> map && map.TryGetValue(mapKey, out var entry) ? entry : null;
            }

            if (absent != (value == null))
            {
                return null;
            }

            if (value != null)
            {
                Append(key, value).Append('\u0001');
            }
        }

        return key.ToString();
    }

    private static StringBuilder Append(StringBuilder key, object value) => value switch
    {
        string s => key.Append('s').Append(s),
        long l => key.Append('i').Append(l),
        double d => key.Append('d').Append(d.ToString("R", CultureInfo.InvariantCulture)),
        bool b => key.Append(b ? "t" : "f"),
        DateTimeOffset t => key.Append('T').Append(t.UtcTicks),
        TimeSpan t => key.Append('D').Append(t.Ticks),
        byte[] bytes => key.Append('b').Append(Convert.ToHexString(bytes)),
        IReadOnlyDictionary<string, string> map => AppendMap(key, map),
        _ => key.Append('?').Append(value),
    };

    private static StringBuilder AppendMap(StringBuilder key, IReadOnlyDictionary<string, string> map)
    {
        key.Append('m');
        foreach (var (k, v) in map.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            key.Append(k).Append('\u0002').Append(v).Append('\u0002');
        }

        return key;
    }

    private static string? Word(int index, IReadOnlyList<string> words)
    {
        if (index >= 0)
        {
            return index < GlobalDictionary.Words.Count ? GlobalDictionary.Words[index] : null;
        }

        var local = -index - 1;
        return local < words.Count ? words[local] : null;
    }
}
