namespace Meshwork.Config.Reading;

/// <summary>
/// A parsed YAML or JSON value with the line it started on. The reader produces this small tree
/// (not YamlDotNet's) so that YAML and JSON share one binder and every error can name a line.
/// Aliases share the anchored node instead of copying it.
/// </summary>
public abstract class ConfigNode(int line, int column)
{
    /// <summary>1-based line of the node's first character.</summary>
    public int Line { get; } = line;

    public int Column { get; } = column;

    /// <summary>Number of nodes in this subtree with aliases expanded; it bounds the work an alias can cause.</summary>
    public long ExpandedSize { get; internal set; } = 1;

    public abstract string Describe();
}

/// <summary>How a scalar was written; it decides its YAML type (a quoted <c>"80"</c> is a string, a plain <c>80</c> an integer).</summary>
public enum ScalarStyle
{
    Plain,
    Quoted,
    Block,
}

public sealed class ScalarNode(string value, ScalarStyle style, int line, int column) : ConfigNode(line, column)
{
    public string Value { get; } = value;

    public ScalarStyle Style { get; } = style;

    private ScalarKind? _kind;

    /// <summary>The YAML type of the scalar: quoted and block scalars are strings; plain ones resolve as Kubernetes' YAML reader resolves them.</summary>
    public ScalarKind Kind => _kind ??= Style == ScalarStyle.Plain ? ScalarResolver.Resolve(Value) : ScalarKind.String;

    public bool IsNull => Kind == ScalarKind.Null;

    public override string Describe() => Kind switch
    {
        ScalarKind.Null => "null",
        ScalarKind.Bool => "a boolean",
        ScalarKind.Int => "an integer",
        ScalarKind.Float => "a number",
        _ => "a string",
    };
}

public sealed class MappingNode(IReadOnlyList<KeyValuePair<ScalarNode, ConfigNode>> entries, int line, int column)
    : ConfigNode(line, column)
{
    public IReadOnlyList<KeyValuePair<ScalarNode, ConfigNode>> Entries { get; } = entries;

    public ConfigNode? this[string key]
    {
        get
        {
            foreach (var (k, v) in Entries)
            {
                if (k.Value == key)
                {
                    return v;
                }
            }

            return null;
        }
    }

    public override string Describe() => "a mapping";
}

public sealed class SequenceNode(IReadOnlyList<ConfigNode> items, int line, int column) : ConfigNode(line, column)
{
    public IReadOnlyList<ConfigNode> Items { get; } = items;

    public override string Describe() => "a list";
}

public enum ScalarKind
{
    Null,
    Bool,
    Int,
    Float,
    String,
}
