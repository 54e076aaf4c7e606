namespace Meshwork.Config.Binding;

/// <summary>A problem the binder found: where (field path and line) and what was expected.</summary>
public sealed record BindIssue(string Path, int Line, string Message);

/// <summary>
/// Lines of every field that was written, keyed by field path (<c>spec.http[0].route[0].weight</c>).
/// Validation rules speak in paths; this turns a path into the line to report.
/// </summary>
public sealed class LineMap
{
    private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);

    public static LineMap Empty { get; } = new();

    public int DefaultLine { get; init; } = 1;

    internal void Record(string path, int line) => _lines.TryAdd(path, line);

    /// <summary>True when the field at <paramref name="path"/> was written in the source.</summary>
    public bool Contains(string path) => _lines.ContainsKey(path);

    /// <summary>The line of the field, or of its nearest written ancestor.</summary>
    public int LineOf(string path)
    {
        var current = path;
        while (current.Length > 0)
        {
            if (_lines.TryGetValue(current, out var line))
            {
                return line;
            }

            var cut = Math.Max(current.LastIndexOf('.'), current.LastIndexOf('['));
            if (cut <= 0)
            {
                break;
            }

            current = current[..cut];
        }

        return DefaultLine;
    }
}
