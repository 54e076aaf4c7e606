using System.Net;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Istio.Mixer.V1;

/// <summary>
/// The words of one message (or one report batch's default_words) that the global dictionary lacks,
/// numbered -1, -2, ... in the order they first appear, as Mixer's clients number them.
/// </summary>
public sealed class MessageWords
{
    private readonly Dictionary<string, int> _local = new(StringComparer.Ordinal);

    public List<string> Words { get; } = [];

    public int Index(string word)
    {
        if (GlobalDictionary.Index.TryGetValue(word, out var global))
        {
            return global;
        }

        if (!_local.TryGetValue(word, out var local))
        {
            Words.Add(word);
            _local[word] = local = -Words.Count;
        }

        return local;
    }
}

/// <summary>
/// Encodes typed attribute values into istio.mixer.v1.CompressedAttributes (names and string values
/// as dictionary indices), shared by Mixer's own encoder and the proxy's Mixer filter. Values are
/// strings, longs, doubles, bools, timestamps, durations, IP addresses and byte arrays (bytes) and
/// string maps; anything else is left out.
/// </summary>
public static class CompressedAttributesWriter
{
    /// <summary>Writes <paramref name="attributes"/> into <paramref name="message"/>; new words go to <paramref name="words"/> (the caller decides where they travel).</summary>
    public static void Write(CompressedAttributes message, IEnumerable<KeyValuePair<string, object>> attributes, MessageWords words)
    {
        foreach (var (name, value) in attributes)
        {
            Write(message, name, value, words);
        }
    }

    public static void Write(CompressedAttributes message, string name, object value, MessageWords words)
    {
        var key = words.Index(name);
        switch (value)
        {
            case string s:
                message.Strings[key] = words.Index(s);
                break;
            case long l:
                message.Int64S[key] = l;
                break;
            case double d:
                message.Doubles[key] = d;
                break;
            case bool b:
                message.Bools[key] = b;
                break;
            case DateTimeOffset t:
                message.Timestamps[key] = Timestamp.FromDateTimeOffset(t);
                break;
            case TimeSpan ts:
                message.Durations[key] = Duration.FromTimeSpan(ts);
                break;
            case IPAddress ip:
                message.Bytes[key] = ByteString.CopyFrom(ip.GetAddressBytes());
                break;
            case byte[] bytes:
                message.Bytes[key] = ByteString.CopyFrom(bytes);
                break;
            case IReadOnlyDictionary<string, string> map:
                var entries = new StringMap();
                foreach (var (k, v) in map)
                {
                    entries.Entries[words.Index(k)] = words.Index(v);
                }

                message.StringMaps[key] = entries;
                break;
        }
    }
}
