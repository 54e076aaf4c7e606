using System.Globalization;
using System.Text;

namespace Meshwork.Proxy.Telemetry.Cel;

/// <summary>A node of a parsed CEL expression.</summary>
internal abstract record CelNode;

internal sealed record CelLiteral(object? Value) : CelNode;

internal sealed record CelIdent(string Name) : CelNode;

internal sealed record CelSelect(CelNode Operand, string Field) : CelNode;

internal sealed record CelIndex(CelNode Operand, CelNode Key) : CelNode;

internal sealed record CelUnary(string Op, CelNode Operand) : CelNode;

internal sealed record CelBinary(string Op, CelNode Left, CelNode Right) : CelNode;

internal sealed record CelConditional(CelNode Test, CelNode IfTrue, CelNode IfFalse) : CelNode;

internal sealed record CelCall(CelNode? Target, string Function, IReadOnlyList<CelNode> Args) : CelNode;

internal sealed record CelList(IReadOnlyList<CelNode> Items) : CelNode;

/// <summary>
/// CEL's expression grammar (the part access-log filters use: literals, selection, indexing, calls
/// and receiver calls, lists, unary and binary operators with CEL's precedence, the conditional) by
/// recursive descent into <see cref="CelNode"/>s, once per config. Errors say where in the
/// expression they are.
/// </summary>
internal sealed class CelParser
{
    private static readonly string[][] Levels = [["||"], ["&&"], ["==", "!=", "<", "<=", ">", ">=", "in"], ["+", "-"], ["*", "/", "%"]];
    private readonly List<(string Kind, string Text, int At)> _tokens;
    private int _index;

    private CelParser(List<(string, string, int)> tokens) => _tokens = tokens;

    public static CelNode Parse(string expression)
    {
        var parser = new CelParser(Lex(expression));
        var node = parser.Conditional();
        if (parser.Current.Kind != "end")
        {
            throw parser.Error($"unexpected '{parser.Current.Text}'");
        }

        return node;
    }

    private (string Kind, string Text, int At) Current => _tokens[_index];

    private CelNode Conditional()
    {
        var test = Binary(0);
        if (!Accept("?"))
        {
            return test;
        }

        var ifTrue = Binary(0);
        Expect(":");
        return new CelConditional(test, ifTrue, Conditional());
    }

    private CelNode Binary(int level)
    {
        if (level == Levels.Length)
        {
            return Unary();
        }

        var left = Binary(level + 1);
        while (Current.Kind is "op" or "ident" && Levels[level].Contains(Current.Text))
        {
            var op = Current.Text;
            _index++;
            left = new CelBinary(op, left, Binary(level + 1));
        }

        return left;
    }

    private CelNode Unary()
    {
        if (Accept("!"))
        {
            return new CelUnary("!", Unary());
        }

        return Accept("-") ? new CelUnary("-", Unary()) : Member();
    }

    private CelNode Member()
    {
        var node = Primary();
        while (true)
        {
            if (Accept("."))
            {
                var name = ExpectIdent();
                node = Accept("(") ? new CelCall(node, name, Arguments(")")) : new CelSelect(node, name);
            }
            else if (Accept("["))
            {
                var key = Conditional();
                Expect("]");
                node = new CelIndex(node, key);
            }
            else
            {
                return node;
            }
        }
    }

    private CelNode Primary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case "int":
                _index++;
                return new CelLiteral(long.Parse(token.Text, CultureInfo.InvariantCulture));
            case "uint":
                _index++;
                return new CelLiteral(ulong.Parse(token.Text, CultureInfo.InvariantCulture));
            case "double":
                _index++;
                return new CelLiteral(double.Parse(token.Text, CultureInfo.InvariantCulture));
            case "string":
                _index++;
                return new CelLiteral(token.Text);
            case "ident":
                _index++;
                return token.Text switch
                {
                    "true" => new CelLiteral(true),
                    "false" => new CelLiteral(false),
                    "null" => new CelLiteral(null),
                    _ => Accept("(") ? new CelCall(null, token.Text, Arguments(")")) : new CelIdent(token.Text),
                };
        }

        if (Accept("("))
        {
            var inner = Conditional();
            Expect(")");
            return inner;
        }

        if (Accept("["))
        {
            return new CelList(Arguments("]"));
        }

        throw Error(token.Kind == "end" ? "unexpected end of expression" : $"unexpected '{token.Text}'");
    }

    private List<CelNode> Arguments(string close)
    {
        var args = new List<CelNode>();
        if (Accept(close))
        {
            return args;
        }

        do
        {
            args.Add(Conditional());
        }
        while (Accept(","));
        Expect(close);
        return args;
    }

    private bool Accept(string op)
    {
        if (Current.Kind == "op" && Current.Text == op)
        {
            _index++;
            return true;
        }

        return false;
    }

    private void Expect(string op)
    {
        if (!Accept(op))
        {
            throw Error($"expected '{op}'");
        }
    }

    private string ExpectIdent()
    {
        if (Current.Kind != "ident")
        {
            throw Error("expected a field name");
        }

        return _tokens[_index++].Text;
    }

    private FormatException Error(string message) => new($"{message} at column {Current.At + 1}");

    private static List<(string, string, int)> Lex(string text)
    {
        var tokens = new List<(string, string, int)>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }

                tokens.Add(("ident", text[start..i], start));
            }
            else if (char.IsAsciiDigit(c))
            {
                tokens.Add(Number(text, ref i));
            }
            else if (c is '"' or '\'')
            {
                tokens.Add(("string", StringLiteral(text, ref i), i));
            }
            else
            {
                var two = i + 1 < text.Length ? text.Substring(i, 2) : string.Empty;
                var op = two is "==" or "!=" or "<=" or ">=" or "&&" or "||" ? two : c.ToString();
                if (op.Length == 1 && !"<>!+-*/%()[].,?:".Contains(c, StringComparison.Ordinal))
                {
                    throw new FormatException($"unexpected character '{c}' at column {i + 1}");
                }

                tokens.Add(("op", op, i));
                i += op.Length;
            }
        }

        tokens.Add(("end", string.Empty, text.Length));
        return tokens;
    }

    private static (string, string, int) Number(string text, ref int i)
    {
        var start = i;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }

        var isDouble = i + 1 < text.Length && text[i] == '.' && char.IsAsciiDigit(text[i + 1]);
        if (isDouble)
        {
            i++;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }
        }

        if (!isDouble && i < text.Length && text[i] is 'u' or 'U')
        {
            i++;
            return ("uint", text[start..(i - 1)], start);
        }

        return (isDouble ? "double" : "int", text[start..i], start);
    }

    private static string StringLiteral(string text, ref int i)
    {
        var quote = text[i];
        var start = i++;
        var value = new StringBuilder();
        while (i < text.Length && text[i] != quote)
        {
            if (text[i] == '\\' && i + 1 < text.Length)
            {
                i++;
                value.Append(text[i] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => text[i] });
            }
            else
            {
                value.Append(text[i]);
            }

            i++;
        }

        if (i >= text.Length)
        {
            throw new FormatException($"unterminated string at column {start + 1}");
        }

        i++;
        return value.ToString();
    }
}
