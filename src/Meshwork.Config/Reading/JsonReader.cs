using System.Text;
using System.Text.Json;

namespace Meshwork.Config.Reading;

/// <summary>
/// Reads a JSON file (one value: a resource, a list of resources, or a <c>kind: List</c>) into
/// <see cref="ConfigNode"/> trees with line numbers, iteratively and with a depth bound.
/// </summary>
public static class JsonReader
{
    public static ReadResult Read(byte[] utf8, ReadLimits? limits = null)
    {
        limits ??= ReadLimits.Default;
        var lineStarts = LineStarts(utf8);
        var options = new JsonReaderOptions
        {
            AllowTrailingCommas = false,
            CommentHandling = JsonCommentHandling.Skip,
            MaxDepth = limits.MaxDepth,
        };
        var reader = new Utf8JsonReader(utf8, options);
        var stack = new Stack<Frame>();
        ConfigNode? root = null;
        try
        {
            while (reader.Read())
            {
                var (line, column) = Position(lineStarts, reader.TokenStartIndex);
                ConfigNode? completed = null;
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        stack.Push(new Frame(line, column, isObject: true));
                        continue;
                    case JsonTokenType.StartArray:
                        stack.Push(new Frame(line, column, isObject: false));
                        continue;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        completed = stack.Pop().Complete();
                        break;
                    case JsonTokenType.PropertyName:
                        stack.Peek().Key = new ScalarNode(reader.GetString()!, ScalarStyle.Quoted, line, column);
                        continue;
                    case JsonTokenType.String:
                        completed = new ScalarNode(reader.GetString()!, ScalarStyle.Quoted, line, column);
                        break;
                    case JsonTokenType.Number:
                        completed = new ScalarNode(Encoding.UTF8.GetString(reader.ValueSpan), ScalarStyle.Plain, line, column);
                        break;
                    case JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null:
                        completed = new ScalarNode(Encoding.UTF8.GetString(reader.ValueSpan), ScalarStyle.Plain, line, column);
                        break;
                    default:
                        continue;
                }

                if (stack.Count == 0)
                {
                    root = completed;
                }
                else
                {
                    stack.Peek().Add(completed);
                }
            }
        }
        catch (JsonException e)
        {
            var line = (int)(e.LineNumber ?? 0) + 1;
            var message = e.Message;
            var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0)
            {
                message = message[..cut];
            }

            if (reader.CurrentDepth >= limits.MaxDepth - 1)
            {
                message = $"nesting is deeper than {limits.MaxDepth} levels";
                return new ReadResult([], new ReadError(line, message));
            }

            return new ReadResult([], new ReadError(line, "malformed JSON: " + message.TrimEnd('.')));
        }

        if (root == null)
        {
            return new ReadResult([], null);
        }

        if (root is SequenceNode sequence)
        {
            return new ReadResult(sequence.Items.Select(i => new ParsedDocument(i, i.Line)).ToList(), null);
        }

        return new ReadResult([new ParsedDocument(root, root.Line)], null);
    }

    private static List<int> LineStarts(byte[] utf8)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] == (byte)'\n')
            {
                starts.Add(i + 1);
            }
        }

        return starts;
    }

    private static (int Line, int Column) Position(List<int> lineStarts, long offset)
    {
        var index = lineStarts.BinarySearch((int)offset);
        if (index < 0)
        {
            index = ~index - 1;
        }

        return (index + 1, (int)offset - lineStarts[index] + 1);
    }

    private sealed class Frame(int line, int column, bool isObject)
    {
        private readonly List<ConfigNode> _items = [];
        private readonly List<KeyValuePair<ScalarNode, ConfigNode>> _entries = [];
        private long _size = 1;

        public ScalarNode? Key { get; set; }

        public void Add(ConfigNode node)
        {
            _size += node.ExpandedSize;
            if (isObject)
            {
                _entries.Add(KeyValuePair.Create(Key!, node));
                Key = null;
            }
            else
            {
                _items.Add(node);
            }
        }

        public ConfigNode Complete()
        {
            ConfigNode node = isObject ? new MappingNode(_entries, line, column) : new SequenceNode(_items, line, column);
            node.ExpandedSize = _size;
            return node;
        }
    }
}
