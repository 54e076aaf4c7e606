using System.Globalization;
using Meshwork.Config.Binding;
using Meshwork.Config.Reading;

namespace Meshwork.Mixer.Runtime;

/// <summary>A config error inside Mixer's config: the field (from the resource root) and what is wrong with it.</summary>
public sealed class MixerConfigException(string path, string message, int? line = null) : Exception(message)
{
    public string Path { get; } = path;

    /// <summary>The source line of the offending value, when it is inside free-form params the resource's line map does not cover.</summary>
    public int? Line { get; } = line;
}

/// <summary>
/// Typed reads of an adapter's or template's free-form <c>params</c>, each failure naming the field. Adapters read their
/// params once, when Mixer compiles a config, so none of this is on a request path.
/// </summary>
public sealed class ParamsNode(ConfigNode? node, string path)
{
    public string Path { get; } = path;

    public ConfigNode? Node { get; } = node;

    public static ParamsNode From(RawValue? raw, string path) => new(raw?.Node, path);

    public IEnumerable<(string Key, ParamsNode Value)> Entries => Node is MappingNode m
        ? m.Entries.Select(e => (e.Key.Value, new ParamsNode(e.Value, $"{Path}.{e.Key.Value}")))
        : [];

    /// <summary>The field named <paramref name="key"/> (lowerCamelCase), also when written in proto snake_case as Istio's samples do.</summary>
    public ParamsNode this[string key]
    {
        get
        {
            if (Node is MappingNode m)
            {
                foreach (var (k, v) in m.Entries)
                {
                    if (k.Value == key || Camel(k.Value) == key)
                    {
                        return new ParamsNode(v, $"{Path}.{k.Value}");
                    }
                }
            }

            return new ParamsNode(null, $"{Path}.{key}");
        }
    }

    private static string Camel(string name)
    {
        if (!name.Contains('_', StringComparison.Ordinal))
        {
            return name;
        }

        var parts = name.Split('_');
        return parts[0] + string.Concat(parts.Skip(1).Select(p => p.Length > 0 ? char.ToUpperInvariant(p[0]) + p[1..] : p));
    }

    public bool IsSet => Node is not null and not ScalarNode { IsNull: true };

    public IEnumerable<ParamsNode> Items => Node is SequenceNode s
        ? s.Items.Select((item, i) => new ParamsNode(item, $"{Path}[{i}]"))
        : IsSet ? throw Error("expected a list") : [];

    public string? String() => Node switch
    {
        null or ScalarNode { IsNull: true } => null,
        ScalarNode s => s.Value,
        _ => throw Error($"expected a scalar, got {Node.Describe()}"),
    };

    public long Long(long fallback)
    {
        var text = String();
        if (text == null)
        {
            return fallback;
        }

        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw Error($"expected an integer, got \"{text}\"");
    }

    public bool Bool(bool fallback)
    {
        var text = String();
        return text switch
        {
            null => fallback,
            "true" or "True" => true,
            "false" or "False" => false,
            _ => throw Error($"expected true or false, got \"{text}\""),
        };
    }

    public TimeSpan Duration(TimeSpan fallback)
    {
        var text = String();
        if (text == null)
        {
            return fallback;
        }

        return GoDuration.TryParse(text, out var d) ? d : throw Error($"expected a duration such as 1s or 500ms, got \"{text}\"");
    }

    public IReadOnlyList<string> Strings() => Items.Select(i => i.String() ?? string.Empty).ToList();

    public void AllowOnly(params string[] fields)
    {
        foreach (var (key, value) in Entries)
        {
            if (!fields.Contains(Camel(key)))
            {
                throw new MixerConfigException(value.Path, $"unknown field \"{key}\", expected one of: {string.Join(", ", fields)}", value.Node?.Line);
            }
        }
    }

    public MixerConfigException Error(string message) => new(Path, message, Node?.Line);
}
