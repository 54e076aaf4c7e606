using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Meshwork.Config.Reading;

/// <summary>
/// Reads multi-document YAML into <see cref="ConfigNode"/> trees with line numbers, iteratively
/// (no recursion, so depth is bounded by <see cref="ReadLimits.MaxDepth"/> and not by the stack),
/// resolving aliases by reference and merge keys (<c>&lt;&lt;</c>) as Kubernetes does.
/// </summary>
public static class YamlReader
{
    public static ReadResult Read(string text, ReadLimits? limits = null)
    {
        limits ??= ReadLimits.Default;
        var documents = new List<ParsedDocument>();
        Parser? parser = null;
        try
        {
            parser = new Parser(new StringReader(text));
            parser.Consume<StreamStart>();
            while (!parser.Accept<StreamEnd>(out _))
            {
                var start = parser.Consume<DocumentStart>();
                var builder = new DocumentBuilder(limits);
                var root = builder.Build(parser, start.Start.Line);
                parser.Consume<DocumentEnd>();
                documents.Add(new ParsedDocument(root, root?.Line ?? (int)start.Start.Line));
            }

            return new ReadResult(documents, null);
        }
        catch (ReadLimitException e)
        {
            return new ReadResult(documents, new ReadError(e.Line, e.Message));
        }
        catch (YamlException e)
        {
            return new ReadResult(documents, new ReadError(ErrorLine(text, e), Describe(e)));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or OverflowException)
        {
            // YamlDotNet signals a few malformed inputs (an unclosed flow collection) with general exceptions.
            var line = (int)Math.Max(1, parser?.Current?.End.Line ?? 1);
            return new ReadResult(documents, new ReadError(line, "malformed YAML: cannot parse what follows (an unclosed [ or {, or a misplaced indicator?)"));
        }
    }

    private static int ErrorLine(string text, YamlException e)
    {
        if (e.Message.Contains("tab", StringComparison.OrdinalIgnoreCase))
        {
            // YamlDotNet places tab errors on the line before; name the line that holds the tab.
            var lines = text.Split('\n');
            for (var i = (int)Math.Max(0, e.Start.Line - 1); i < lines.Length; i++)
            {
                if (lines[i].TrimStart(' ').StartsWith('\t'))
                {
                    return i + 1;
                }
            }
        }

        return (int)Math.Max(1, e.Start.Line);
    }

    private static string Describe(YamlException e)
    {
        var message = e.Message;
        var detail = message.IndexOf("): ", StringComparison.Ordinal);
        if (message.StartsWith('(') && detail > 0)
        {
            message = message[(detail + 3)..];
        }

        return "malformed YAML: " + message.TrimEnd('.');
    }

    private sealed class DocumentBuilder(ReadLimits limits)
    {
        private readonly Dictionary<string, ConfigNode> _anchors = new(StringComparer.Ordinal);
        private readonly Stack<Frame> _stack = new();
        private long _aliasExpansion;

        public ConfigNode? Build(IParser parser, long documentLine)
        {
            ConfigNode? root = null;
            while (true)
            {
                if (_stack.Count == 0 && root != null)
                {
                    return root;
                }

                if (_stack.Count == 0 && parser.Accept<DocumentEnd>(out _))
                {
                    return root;
                }

                var evt = parser.Consume<ParsingEvent>();
                ConfigNode? completed = null;
                switch (evt)
                {
                    case Scalar scalar:
                        completed = new ScalarNode(scalar.Value, StyleOf(scalar), Line(scalar), Column(scalar));
                        Remember(scalar.Anchor, completed);
                        break;
                    case AnchorAlias alias:
                        if (!_anchors.TryGetValue(alias.Value.Value, out var target))
                        {
                            throw new ReadLimitException(Line(alias), $"malformed YAML: unknown alias *{alias.Value.Value}");
                        }

                        _aliasExpansion += target.ExpandedSize;
                        if (_aliasExpansion > limits.MaxAliasExpansion)
                        {
                            throw new ReadLimitException(
                                Line(alias),
                                $"aliases expand to more than {limits.MaxAliasExpansion} nodes; refusing to expand (alias bomb?)");
                        }

                        completed = target;
                        break;
                    case MappingStart mappingStart:
                        Push(new Frame(mappingStart.Anchor, Line(mappingStart), Column(mappingStart), isMapping: true));
                        continue;
                    case SequenceStart sequenceStart:
                        Push(new Frame(sequenceStart.Anchor, Line(sequenceStart), Column(sequenceStart), isMapping: false));
                        continue;
                    case MappingEnd or SequenceEnd:
                        completed = _stack.Pop().Complete();
                        break;
                    default:
                        throw new ReadLimitException((int)Math.Max(1, documentLine), $"malformed YAML: unexpected {evt.GetType().Name}");
                }

                if (_stack.Count == 0)
                {
                    root = completed;
                }
                else
                {
                    _stack.Peek().Add(completed);
                }
            }
        }

        private void Push(Frame frame)
        {
            if (_stack.Count >= limits.MaxDepth)
            {
                throw new ReadLimitException(frame.Line, $"nesting is deeper than {limits.MaxDepth} levels");
            }

            _stack.Push(frame);
            frame.OnComplete = node => Remember(frame.Anchor, node);
        }

        private void Remember(AnchorName anchor, ConfigNode node)
        {
            if (!anchor.IsEmpty)
            {
                _anchors[anchor.Value] = node;
            }
        }

        private static ScalarStyle StyleOf(Scalar scalar) => scalar.Style switch
        {
            YamlDotNet.Core.ScalarStyle.Plain or YamlDotNet.Core.ScalarStyle.Any => scalar.IsPlainImplicit ? ScalarStyle.Plain : ScalarStyle.Quoted,
            YamlDotNet.Core.ScalarStyle.Literal or YamlDotNet.Core.ScalarStyle.Folded => ScalarStyle.Block,
            _ => ScalarStyle.Quoted,
        };

        private static int Line(ParsingEvent e) => (int)Math.Max(1, e.Start.Line);

        private static int Column(ParsingEvent e) => (int)Math.Max(1, e.Start.Column);
    }

    private sealed class Frame(AnchorName anchor, int line, int column, bool isMapping)
    {
        private readonly List<ConfigNode> _items = [];
        private readonly List<KeyValuePair<ScalarNode, ConfigNode>> _entries = [];
        private readonly HashSet<string> _mergedKeys = new(StringComparer.Ordinal);
        private ConfigNode? _pendingKey;
        private long _size = 1;

        public AnchorName Anchor { get; } = anchor;

        public int Line { get; } = line;

        public Action<ConfigNode>? OnComplete { get; set; }

        public void Add(ConfigNode node)
        {
            if (!isMapping)
            {
                _items.Add(node);
                _size += node.ExpandedSize;
                return;
            }

            if (_pendingKey == null)
            {
                _pendingKey = node;
                return;
            }

            var key = _pendingKey;
            _pendingKey = null;
            if (key is ScalarNode { Value: "<<", Style: ScalarStyle.Plain })
            {
                Merge(key, node);
                return;
            }

            if (key is not ScalarNode scalarKey)
            {
                throw new ReadLimitException(key.Line, "malformed YAML: mapping keys must be scalars, got " + key.Describe());
            }

            // Keys written in the mapping override keys brought in by a merge, wherever the merge stands.
            var merged = _entries.FindIndex(e => _mergedKeys.Contains(e.Key.Value) && e.Key.Value == scalarKey.Value);
            if (merged >= 0)
            {
                _entries.RemoveAt(merged);
                _mergedKeys.Remove(scalarKey.Value);
            }

            _entries.Add(KeyValuePair.Create(scalarKey, node));
            _size += node.ExpandedSize + 1;
        }

        private void Merge(ConfigNode key, ConfigNode value)
        {
            var sources = value switch
            {
                MappingNode m => [m],
                SequenceNode s when s.Items.All(i => i is MappingNode) => s.Items.Cast<MappingNode>().ToList(),
                _ => throw new ReadLimitException(key.Line, "malformed YAML: a merge key (<<) needs a mapping or a list of mappings"),
            };
            foreach (var source in sources)
            {
                foreach (var entry in source.Entries)
                {
                    if (!_entries.Any(e => e.Key.Value == entry.Key.Value))
                    {
                        _mergedKeys.Add(entry.Key.Value);
                        _entries.Add(entry);
                        _size += entry.Value.ExpandedSize + 1;
                    }
                }
            }
        }

        public ConfigNode Complete()
        {
            ConfigNode node = isMapping
                ? new MappingNode(_entries, Line, column)
                : new SequenceNode(_items, Line, column);
            node.ExpandedSize = _size;
            OnComplete?.Invoke(node);
            return node;
        }
    }
}
