using System.Collections.Frozen;

namespace Istio.Mixer.V1;

/// <summary>
/// Istio's global word list (mixer/v1/global_dictionary.yaml), which Mixer and its clients (the proxy's
/// Mixer filter) share so common names and values travel as small integers. Append-only upstream; a client
/// that sends a larger global_word_count than this list knows is using words the server cannot decode.
/// </summary>
public static class GlobalDictionary
{
    public static IReadOnlyList<string> Words { get; } = Load();

    public static FrozenDictionary<string, int> Index { get; } = Words
        .Select((w, i) => (w, i))
        .GroupBy(x => x.w, StringComparer.Ordinal)
        .ToFrozenDictionary(g => g.Key, g => g.First().i, StringComparer.Ordinal);

    private static string[] Load()
    {
        using var stream = typeof(GlobalDictionary).Assembly.GetManifestResourceStream("Meshwork.Xds.Protos.mixer_global_dictionary.txt")
            ?? throw new InvalidOperationException("global dictionary resource missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
