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

    /// <summary>Reads and decodes one file; unreadable, oversized and endless inputs (a FIFO, /dev/zero) become a diagnostic.</summary>
    public static ReadOutcome ReadFile(string path, string displayName, ReadLimits? limits = null)
    {
        var (bytes, problem) = ReadFileBytes(path, displayName);
        return bytes == null ? new ReadOutcome([], [problem!], 0) : ReadBytes(bytes, displayName, limits);
    }

    /// <summary>The bytes of a file, read up to <see cref="MaxFileBytes"/> (never trusting the reported length), or the problem.</summary>
    public static (byte[]? Bytes, ConfigDiagnostic? Problem) ReadFileBytes(string path, string displayName)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
            var bytes = ReadBounded(stream);
            return bytes == null
                ? (null, new ConfigDiagnostic(Severity.Error, displayName, 1, $"file is larger than the {MaxFileBytes / (1024 * 1024)} MiB limit"))
                : (bytes, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, new ConfigDiagnostic(Severity.Error, displayName, 1, "cannot read: " + e.Message));
        }
    }

    /// <summary>All of <paramref name="stream"/>, or null when it holds more than <see cref="MaxFileBytes"/>.</summary>
    public static byte[]? ReadBounded(Stream stream)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > MaxFileBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

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
