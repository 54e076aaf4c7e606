using Meshwork.Config.Binding;
using Meshwork.Mixer.Attributes;

namespace Meshwork.Mixer.Lang;

/// <summary>
/// Type-checks CEXL against an attribute manifest and compiles it into closures, once per config. Every operator
/// propagates an absent value (null) except <c>|</c>, which is how Mixer's "default when absent" works.
/// </summary>
public sealed class ExpressionCompiler(IReadOnlyDictionary<string, AttributeType> manifest)
{
    private static readonly object True = true;
    private static readonly object False = false;

    public IReadOnlyDictionary<string, AttributeType> Manifest { get; } = manifest;

    /// <summary>Compiles <paramref name="text"/>; throws <see cref="ExpressionException"/> with a message fit for a config error.</summary>
    public CompiledExpression Compile(string text, AttributeType? expected = null)
    {
        var node = Parser.Parse(text);
        var typed = Build(node);
        if (expected is { } want && !Assignable(typed, want))
        {
            throw new ExpressionException($"expression '{text}' has type {AttributeTypes.Name(typed.Type)}, expected {AttributeTypes.Name(want)}");
        }

        var eval = typed.Eval;
        if (expected == AttributeType.Duration && typed.Type == AttributeType.String)
        {
            eval = Coerce(typed, AttributeType.Duration).Eval;
        }

        return new CompiledExpression(text, expected ?? typed.Type, eval);
    }

    /// <summary>A checked sub-expression: its type, its closure, and its value when it is a literal (for compile-time conversions).</summary>
    internal sealed record Typed(AttributeType Type, Func<AttributeReader, object?> Eval, object? Constant = null);

    internal static object Box(bool b) => b ? True : False;

    private static bool Assignable(Typed typed, AttributeType want) =>
        typed.Type == want || (want == AttributeType.Duration && typed.Constant is string s && GoDuration.TryParse(s, out _));

    internal Typed Build(Node node) => node switch
    {
        Literal l => new Typed(LiteralType(l.Value), _ => l.Value, l.Value),
        AttributeRef a => Attribute(a),
        Index i => BuildIndex(i),
        Unary u => BuildUnary(u),
        Binary b => BuildBinary(b),
        Call c => Functions.Build(this, c),
        _ => throw new ExpressionException($"unsupported expression at position {node.Position}"),
    };

    private static AttributeType LiteralType(object value) => value switch
    {
        string => AttributeType.String,
        long => AttributeType.Int64,
        double => AttributeType.Double,
        bool => AttributeType.Bool,
        _ => AttributeType.ValueTypeUnspecified,
    };

    private Typed Attribute(AttributeRef a)
    {
        if (!Manifest.TryGetValue(a.Name, out var type))
        {
            throw new ExpressionException($"unknown attribute {a.Name}");
        }

        var name = a.Name;
        return new Typed(type, r => r.Get(name));
    }

    private Typed BuildIndex(Index i)
    {
        var key = Build(i.Key);
        if (key.Type != AttributeType.String)
        {
            throw new ExpressionException($"map key at position {i.Key.Position} must be STRING, got {AttributeTypes.Name(key.Type)}");
        }

        if (i.Target is AttributeRef a)
        {
            var target = Attribute(a);
            RequireMap(target, i);
            var name = a.Name;
            if (key.Constant is string constantKey)
            {
                return new Typed(AttributeType.String, r => r.GetMapValue(name, constantKey));
            }

            var keyEval = key.Eval;
            return new Typed(AttributeType.String, r => keyEval(r) is string k ? r.GetMapValue(name, k) : null);
        }

        var map = Build(i.Target);
        RequireMap(map, i);
        var mapEval = map.Eval;
        var kEval = key.Eval;
        return new Typed(AttributeType.String, r =>
            mapEval(r) is IReadOnlyDictionary<string, string> m && kEval(r) is string k && m.TryGetValue(k, out var v) ? v : null);
    }

    private static void RequireMap(Typed target, Index i)
    {
        if (target.Type != AttributeType.StringMap)
        {
            throw new ExpressionException($"index at position {i.Position} needs a STRING_MAP, got {AttributeTypes.Name(target.Type)}");
        }
    }

    private Typed BuildUnary(Unary u)
    {
        var operand = Build(u.Operand);
        var eval = operand.Eval;
        if (u.Operator == "!")
        {
            Require(operand, AttributeType.Bool, "!", u.Position);
            return new Typed(AttributeType.Bool, r => eval(r) is bool b ? Box(!b) : null);
        }

        return operand.Type switch
        {
            AttributeType.Int64 when operand.Constant is long l => new Typed(AttributeType.Int64, _ => -l, -l),
            AttributeType.Double when operand.Constant is double d => new Typed(AttributeType.Double, _ => -d, -d),
            _ => throw new ExpressionException($"'-' needs a numeric literal at position {u.Position}"),
        };
    }

    private Typed BuildBinary(Binary b)
    {
        var left = Build(b.Left);
        var right = Build(b.Right);
        switch (b.Operator)
        {
            case "||":
            case "&&":
                Require(left, AttributeType.Bool, b.Operator, b.Position);
                Require(right, AttributeType.Bool, b.Operator, b.Position);
                return Logical(b.Operator == "&&", left.Eval, right.Eval);
            case "|":
                (left, right) = Unify(left, right, b);
                var (l, r) = (left.Eval, right.Eval);
                return new Typed(left.Type, x => l(x) ?? r(x));
            case "==":
            case "!=":
                (left, right) = Unify(left, right, b);
                return Equality(left, right, b.Operator == "!=");
            default:
                (left, right) = Unify(left, right, b);
                if (left.Type is not (AttributeType.Int64 or AttributeType.Double or AttributeType.Duration or AttributeType.Timestamp))
                {
                    throw new ExpressionException($"'{b.Operator}' at position {b.Position} needs INT64, DOUBLE, DURATION or TIMESTAMP operands, got {AttributeTypes.Name(left.Type)}");
                }

                return Ordering(left.Eval, right.Eval, b.Operator);
        }
    }

    private static Typed Logical(bool and, Func<AttributeReader, object?> l, Func<AttributeReader, object?> r) => and
        ? new Typed(AttributeType.Bool, x => l(x) is not bool a ? null : !a ? False : r(x) is bool b ? Box(b) : null)
        : new Typed(AttributeType.Bool, x => l(x) is not bool a ? null : a ? True : r(x) is bool b ? Box(b) : null);

    private static Typed Equality(Typed left, Typed right, bool negate)
    {
        var (l, r) = (left.Eval, right.Eval);
        Func<object, object, bool> equal = left.Type == AttributeType.DnsName
            ? (a, b) => string.Equals(((string)a).TrimEnd('.'), ((string)b).TrimEnd('.'), StringComparison.OrdinalIgnoreCase)
            : left.Type == AttributeType.EmailAddress
                ? (a, b) => string.Equals((string)a, (string)b, StringComparison.OrdinalIgnoreCase)
                : (a, b) => a.Equals(b);
        return new Typed(AttributeType.Bool, x => l(x) is { } a && r(x) is { } b ? Box(equal(a, b) != negate) : null);
    }

    private static Typed Ordering(Func<AttributeReader, object?> l, Func<AttributeReader, object?> r, string op)
    {
        Func<int, bool> test = op switch
        {
            "<" => c => c < 0,
            "<=" => c => c <= 0,
            ">" => c => c > 0,
            _ => c => c >= 0,
        };
        return new Typed(AttributeType.Bool, x => l(x) is IComparable a && r(x) is { } b ? Box(test(a.CompareTo(b))) : null);
    }

    /// <summary>Both sides must have one type; a string literal next to a DURATION is read as a Go duration (<c>"10ms"</c>).</summary>
    private static (Typed, Typed) Unify(Typed left, Typed right, Binary b)
    {
        if (left.Type == right.Type)
        {
            return (left, right);
        }

        if (left.Type == AttributeType.Duration && right.Constant is string)
        {
            return (left, Coerce(right, AttributeType.Duration));
        }

        if (right.Type == AttributeType.Duration && left.Constant is string)
        {
            return (Coerce(left, AttributeType.Duration), right);
        }

        if (left.Type == AttributeType.Double && right.Constant is long rl)
        {
            return (left, new Typed(AttributeType.Double, _ => (double)rl, (double)rl));
        }

        if (right.Type == AttributeType.Double && left.Constant is long ll)
        {
            return (new Typed(AttributeType.Double, _ => (double)ll, (double)ll), right);
        }

        throw new ExpressionException($"'{b.Operator}' at position {b.Position} compares {AttributeTypes.Name(left.Type)} with {AttributeTypes.Name(right.Type)}");
    }

    private static Typed Coerce(Typed constant, AttributeType to)
    {
        if (constant.Constant is string s && GoDuration.TryParse(s, out var d))
        {
            return new Typed(to, _ => d, d);
        }

        throw new ExpressionException($"\"{constant.Constant}\" is not a duration");
    }

    internal static void Require(Typed operand, AttributeType type, string what, int position)
    {
        if (operand.Type != type)
        {
            throw new ExpressionException($"{what} at position {position} needs {AttributeTypes.Name(type)}, got {AttributeTypes.Name(operand.Type)}");
        }
    }
}
