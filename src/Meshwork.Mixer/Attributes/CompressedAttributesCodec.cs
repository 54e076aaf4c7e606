using System.Net;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Istio.Mixer.V1;
using Meshwork.Mixer.Lang;

namespace Meshwork.Mixer.Attributes;

/// <summary>
/// Decodes istio.mixer.v1.CompressedAttributes into attribute bags and encodes them back (for clients and tests).
/// Indices >= 0 name global dictionary words, negative ones the message's words (-1 is words[0]). Bytes are IP
/// addresses when the manifest says IP_ADDRESS, as Istio's client sends source.ip.
/// </summary>
public static class CompressedAttributesCodec
{
    public static AttributeBag Decode(CompressedAttributes message, IReadOnlyList<string> defaultWords, IReadOnlyDictionary<string, AttributeType> manifest)
    {
        var words = message.Words.Count > 0 ? (IReadOnlyList<string>)message.Words : defaultWords;
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (k, v) in message.Strings)
        {
            values[Word(k, words)] = Word(v, words);
        }

        foreach (var (k, v) in message.Int64S)
        {
            values[Word(k, words)] = v;
        }

        foreach (var (k, v) in message.Doubles)
        {
            values[Word(k, words)] = v;
        }

        foreach (var (k, v) in message.Bools)
        {
            values[Word(k, words)] = v;
        }

        foreach (var (k, v) in message.Timestamps)
        {
            values[Word(k, words)] = v.ToDateTimeOffset();
        }

        foreach (var (k, v) in message.Durations)
        {
            values[Word(k, words)] = v.ToTimeSpan();
        }

        foreach (var (k, v) in message.Bytes)
        {
            var name = Word(k, words);
            var raw = v.ToByteArray();
            values[name] = manifest.GetValueOrDefault(name) == AttributeType.IpAddress && raw.Length is 4 or 16 ? new IPAddress(raw) : raw;
        }

        foreach (var (k, v) in message.StringMaps)
        {
            values[Word(k, words)] = v.Entries.ToDictionary(e => Word(e.Key, words), e => Word(e.Value, words), StringComparer.Ordinal);
        }

        return new AttributeBag(values);
    }

    /// <summary>Resolves a dictionary index; an index outside both dictionaries is a client error.</summary>
    public static string Word(int index, IReadOnlyList<string> words)
    {
        if (index >= 0)
        {
            return index < GlobalDictionary.Words.Count ? GlobalDictionary.Words[index] : throw new FormatException($"global word {index} is beyond the dictionary's {GlobalDictionary.Words.Count} words");
        }

        var local = -index - 1;
        return local < words.Count ? words[local] : throw new FormatException($"message word {index} is beyond the message's {words.Count} words");
    }

    public static CompressedAttributes Encode(IAttributeBag bag)
    {
        var message = new CompressedAttributes();
        var words = new MessageWords();
        foreach (var name in bag.Names)
        {
            if (bag.TryGet(name, out var value) && value != null)
            {
                CompressedAttributesWriter.Write(message, name, value, words);
            }
        }

        message.Words.AddRange(words.Words);
        return message;
    }
}
