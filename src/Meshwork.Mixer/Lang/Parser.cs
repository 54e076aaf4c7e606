using System.Globalization;
using System.Text;

namespace Meshwork.Mixer.Lang;

/// <summary>
/// Parses CEXL, Mixer's expression language. Istio parsed it with Go's expression parser, so the syntax and
/// operator precedence are Go's: <c>||</c> binds loosest, then <c>&amp;&amp;</c>, then comparisons, then <c>|</c>
/// (Mixer's "default when absent"). A dotted chain of identifiers is one attribute name; when it ends in a call, the
/// last segment is a method on the attribute before it (<c>request.path.startsWith("/api")</c>).
/// </summary>
public sealed class Parser
{
    private readonly string _text;
    private int _pos;

    private Parser(string text) => _text = text;

    public static Node Parse(string text)
    {
        var parser = new Parser(text);
        var node = parser.ParseBinary(1);
        parser.SkipSpace();
        if (parser._pos < text.Length)
        {
            throw parser.Error($"unexpected '{text[parser._pos]}'");
        }

        return node;
    }

    private static int Precedence(string op) => op switch
    {
        "||" => 1,
        "&&" => 2,
        "==" or "!=" or "<" or "<=" or ">" or ">=" => 3,
        "|" => 4,
        _ => 0,
    };

    private Node ParseBinary(int minPrecedence)
    {
        var left = ParseUnary();
        while (true)
        {
            SkipSpace();
            var start = _pos;
            var op = PeekOperator();
            if (op == null || Precedence(op) < minPrecedence)
            {
                return left;
            }

            _pos += op.Length;
            var right = ParseBinary(Precedence(op) + 1);
            left = new Binary(op, left, right, start);
        }
    }

    private string? PeekOperator()
    {
        foreach (var op in (string[])["||", "&&", "==", "!=", "<=", ">=", "<", ">", "|"])
        {
            if (string.CompareOrdinal(_text, _pos, op, 0, op.Length) == 0)
            {
                return op;
            }
        }

        return null;
    }

    private Node ParseUnary()
    {
        SkipSpace();
        var start = _pos;
        if (Peek('!') && !PeekAt(1, '='))
        {
            _pos++;
            return new Unary("!", ParseUnary(), start);
        }

        if (Peek('-'))
        {
            _pos++;
            return new Unary("-", ParseUnary(), start);
        }

        return ParsePostfix(ParsePrimary());
    }

    private Node ParsePostfix(Node node)
    {
        while (true)
        {
            SkipSpace();
            if (Peek('['))
            {
                var start = _pos++;
                var key = ParseBinary(1);
                Expect(']');
                node = new Index(node, key, start);
            }
            else if (Peek('.'))
            {
                var start = ++_pos;
                var name = Identifier() ?? throw Error("expected a method name after '.'");
                SkipSpace();
                if (!Peek('('))
                {
                    throw Error($"expected '(' after method {name}");
                }

                node = new Call(name, node, Arguments(), start);
            }
            else
            {
                return node;
            }
        }
    }

    private Node ParsePrimary()
    {
        SkipSpace();
        var start = _pos;
        if (_pos >= _text.Length)
        {
            throw Error("unexpected end of expression");
        }

        var c = _text[_pos];
        if (c == '(')
        {
            _pos++;
            var inner = ParseBinary(1);
            Expect(')');
            return inner;
        }

        if (c is '"' or '`' or '\'')
        {
            return new Literal(StringLiteral(c), start);
        }

        if (char.IsAsciiDigit(c))
        {
            return Number(start);
        }

        var segments = new List<string>();
        var first = Identifier() ?? throw Error($"unexpected '{c}'");
        segments.Add(first);
        while (Peek('.') && _pos + 1 < _text.Length && IsIdentStart(_text[_pos + 1]))
        {
            var save = _pos;
            _pos++;
            var segment = Identifier()!;
            SkipSpace();
            if (Peek('('))
            {
                // The last segment of a chain followed by a call is a method on the attribute before it.
                return new Call(segment, new AttributeRef(string.Join('.', segments), start), Arguments(), save + 1);
            }

            segments.Add(segment);
        }

        SkipSpace();
        if (segments.Count == 1 && Peek('('))
        {
            return new Call(first, null, Arguments(), start);
        }

        var name = string.Join('.', segments);
        return name switch
        {
            "true" => new Literal(true, start),
            "false" => new Literal(false, start),
            _ => new AttributeRef(name, start),
        };
    }

    private List<Node> Arguments()
    {
        Expect('(');
        var args = new List<Node>();
        SkipSpace();
        if (Peek(')'))
        {
            _pos++;
            return args;
        }

        while (true)
        {
            args.Add(ParseBinary(1));
            SkipSpace();
            if (Peek(','))
            {
                _pos++;
                continue;
            }

            Expect(')');
            return args;
        }
    }

    private Literal Number(int start)
    {
        while (_pos < _text.Length && (char.IsAsciiDigit(_text[_pos]) || _text[_pos] is '.' or 'e' or 'E'))
        {
            _pos++;
        }

        var text = _text[start.._pos];
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var l))
        {
            return new Literal(l, start);
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return new Literal(d, start);
        }

        throw new ExpressionException($"invalid number \"{text}\" at position {start}");
    }

    private string StringLiteral(char quote)
    {
        var start = _pos++;
        var sb = new StringBuilder();
        while (_pos < _text.Length && _text[_pos] != quote)
        {
            var c = _text[_pos++];
            if (c == '\\' && quote != '`' && _pos < _text.Length)
            {
                var e = _text[_pos++];
                sb.Append(e switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => e });
            }
            else
            {
                sb.Append(c);
            }
        }

        if (_pos >= _text.Length)
        {
            throw new ExpressionException($"unterminated string starting at position {start}");
        }

        _pos++;
        return sb.ToString();
    }

    private static bool IsIdentStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private string? Identifier()
    {
        if (_pos >= _text.Length || !IsIdentStart(_text[_pos]))
        {
            return null;
        }

        var start = _pos;
        while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] == '_'))
        {
            _pos++;
        }

        return _text[start.._pos];
    }

    private void Expect(char c)
    {
        SkipSpace();
        if (!Peek(c))
        {
            throw Error(_pos < _text.Length ? $"expected '{c}', got '{_text[_pos]}'" : $"expected '{c}' at end of expression");
        }

        _pos++;
    }

    private bool Peek(char c) => _pos < _text.Length && _text[_pos] == c;

    private bool PeekAt(int offset, char c) => _pos + offset < _text.Length && _text[_pos + offset] == c;

    private void SkipSpace()
    {
        while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos]))
        {
            _pos++;
        }
    }

    private ExpressionException Error(string message) => new($"{message} at position {_pos}");
}
