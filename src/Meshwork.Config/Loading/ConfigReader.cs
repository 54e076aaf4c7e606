using System.Text;
using Meshwork.Config.Diagnostics;
using Meshwork.Config.Reading;
using Meshwork.Config.Resources;

namespace Meshwork.Config.Loading;

/// <summary>What reading one or more files produced: the resources that decoded cleanly, every problem found, and how many non-Istio resources were passed over.</summary>
public sealed record ReadOutcome(IReadOnlyList<ConfigResource> Resources, IReadOnlyList<ConfigDiagnostic> Diagnostics, int Skipped)
{
    /// <summary>Resources whose spec bound only in part (the fields with errors left unset): never usable, only validated for a fuller report.</summary>
    public IReadOnlyList<PartialResource> Partial { get; init; } = [];

    public bool HasErrors => Diagnostics.Any(d => d.IsError);
}

/// <summary>A resource that had binding errors, and the field paths of those errors.</summary>
public sealed record PartialResource(ConfigResource Resource, IReadOnlyList<string> ErrorPaths);

/// <summary>
/// Reads Istio config from text or files: YAML (multi-document) or JSON, with <c>kind: List</c>
/// unwrapped. It never throws on bad input; everything becomes a located diagnostic.
/// </summary>
public static class ConfigReader
{
    /// <summary>Files larger than this are refused rather than read: no Istio config comes near it.</summary>
    public const long MaxFileBytes = 64L * 1024 * 1024;

    public static ReadOutcome ReadText(string text, string file, ReadLimits? limits = null)
    {
        var result = LooksLikeJson(file, text) ? JsonReader.Read(Encoding.UTF8.GetBytes(text), limits) : YamlReader.Read(text, limits);
        return Decode(result, file);
    }

    public static ReadOutcome ReadBytes(byte[] bytes, string file, ReadLimits? limits = null)
    {
        if (LooksBinary(bytes))
        {
            return Failed(file, 1, "not a text file (binary content)");
        }

        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            return Failed(file, LineAt(bytes, e.Index), "not valid UTF-8 text");
        }

        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }

        return ReadText(text, file, limits);
    }

    private static ReadOutcome Decode(ReadResult result, string file)
    {
        var resources = new List<ConfigResource>();
        var diagnostics = new List<ConfigDiagnostic>();
        var partial = new List<PartialResource>();
        var decoder = new ResourceDecoder(file, resources, partial, diagnostics);
        foreach (var document in result.Documents)
        {
            if (document.Root is { } root && !(root is ScalarNode { IsNull: true }))
            {
                decoder.Decode(root);
            }
        }

        if (result.Error is { } error)
        {
            diagnostics.Add(new ConfigDiagnostic(Severity.Error, file, error.Line, error.Message));
        }

        return new ReadOutcome(resources, diagnostics, decoder.Skipped) { Partial = partial };
    }

    private static ReadOutcome Failed(string file, int line, string message) =>
        new([], [new ConfigDiagnostic(Severity.Error, file, line, message)], 0);

    private static bool LooksLikeJson(string file, string text) =>
        file.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && text.TrimStart().StartsWith('{') || file.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && text.TrimStart().StartsWith('[');

    private static bool LooksBinary(byte[] bytes)
    {
        var probe = bytes.AsSpan(0, Math.Min(bytes.Length, 8192));
        return probe.IndexOf((byte)0) >= 0;
    }

    private static int LineAt(byte[] bytes, int index)
    {
        var line = 1;
        for (var i = 0; i < Math.Min(index, bytes.Length); i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                line++;
            }
        }

        return line;
    }
}
