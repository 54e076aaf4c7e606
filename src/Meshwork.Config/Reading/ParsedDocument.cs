namespace Meshwork.Config.Reading;

/// <summary>One document of a file: its root node (null for an empty document) and the line it starts on.</summary>
public sealed record ParsedDocument(ConfigNode? Root, int Line);

/// <summary>What reading one file produced: its documents, or the first syntax error that stopped the reader.</summary>
public sealed record ReadResult(IReadOnlyList<ParsedDocument> Documents, ReadError? Error);

public sealed record ReadError(int Line, string Message);

/// <summary>Thrown inside the readers to stop at the first problem; never escapes them.</summary>
internal sealed class ReadLimitException(int line, string message) : Exception(message)
{
    public int Line { get; } = line;
}

/// <summary>
/// Bounds that keep hostile input cheap: an alias bomb or a pathologically deep file is refused
/// with a clear error instead of exhausting memory or the stack.
/// </summary>
public sealed record ReadLimits
{
    public static ReadLimits Default { get; } = new();

    /// <summary>Deepest nesting of mappings and lists; real Istio resources stay under 20.</summary>
    public int MaxDepth { get; init; } = 256;

    /// <summary>Most nodes that aliases may add to a document beyond the nodes actually written.</summary>
    public long MaxAliasExpansion { get; init; } = 100_000;
}
