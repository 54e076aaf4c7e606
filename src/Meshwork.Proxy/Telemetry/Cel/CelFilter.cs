using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Meshwork.Proxy.Telemetry.Cel;

/// <summary>
/// Envoy's CEL access-log filter (<c>envoy.access_loggers.extension_filters.cel</c>), which is what
/// Istio writes for a Telemetry <c>accessLogging.filter.expression</c> such as
/// <c>response.code >= 400</c>: the expression is parsed and compiled into delegates over the
/// finished request's record once per config, with unknown attributes, functions and bad regexes
/// refused then. As Envoy, a request is logged only when the expression evaluates to true; an
/// evaluation error (a header that is absent, a type mismatch) means not logged.
/// </summary>
internal static class CelFilter
{
    public static Func<AccessLogRecord, bool> Compile(string expression, string where)
    {
        var evaluate = CompileValue(expression, where);
        return record =>
        {
            try
            {
                return evaluate(record) is true;
            }
            catch (CelError)
            {
                return false;
            }
        };
    }

    /// <summary>
    /// The expression as a delegate yielding its value (long, ulong, double, string, bool, TimeSpan,
    /// list, map) or throwing <see cref="CelError"/>; a parse or compile error names <paramref name="where"/>.
    /// </summary>
    public static Func<AccessLogRecord, object?> CompileValue(string expression, string where)
    {
        try
        {
            return Compile(CelParser.Parse(expression));
        }
        catch (FormatException e)
        {
            throw new ProxyConfigException($"{where}: CEL expression \"{expression}\": {e.Message}");
        }
    }

    private static Func<AccessLogRecord, object?> Compile(CelNode node)
    {
        switch (node)
        {
            case CelLiteral literal:
                var value = literal.Value;
                return _ => value;
            case CelIdent or CelSelect when CelAttributes.Dotted(node) is { } dotted:
                return CelAttributes.Resolve(dotted)
                    ?? (node is CelSelect { Operand: var parent } && CelAttributes.IsMap(CelAttributes.Dotted(parent)) ? MapField(Compile(parent), ((CelSelect)node).Field) : null)
                    ?? throw new FormatException($"unknown attribute {dotted}");
            case CelSelect select:
                // A field of a map-valued attribute: request.headers.foo is request.headers['foo'].
                return MapField(Compile(select.Operand), select.Field);
            case CelIndex index:
                var operand = Compile(index.Operand);
                var key = Compile(index.Key);
                return r => Lookup(operand(r), key(r));
            case CelList list:
                var items = list.Items.Select(Compile).ToArray();
                return r => items.Select(i => i(r)).ToList();
            case CelUnary { Op: "!" } not:
                var negated = Compile(not.Operand);
                return r => negated(r) is bool b ? !b : throw new CelError("! needs a bool");
            case CelUnary minus:
                var number = Compile(minus.Operand);
                return r => number(r) switch { long l => -l, double d => -d, _ => throw new CelError("- needs a number") };
            case CelConditional conditional:
                var (test, ifTrue, ifFalse) = (Compile(conditional.Test), Compile(conditional.IfTrue), Compile(conditional.IfFalse));
                return r => test(r) is bool b ? (b ? ifTrue(r) : ifFalse(r)) : throw new CelError("?: needs a bool");
            case CelBinary binary:
                return Binary(binary.Op, Compile(binary.Left), Compile(binary.Right));
            case CelCall call:
                return Call(call);
            default:
                throw new FormatException($"unsupported expression {node}");
        }
    }

    private static Func<AccessLogRecord, object?> MapField(Func<AccessLogRecord, object?> map, string field) => r => Lookup(map(r), field);

    private static Func<AccessLogRecord, object?> Binary(string op, Func<AccessLogRecord, object?> left, Func<AccessLogRecord, object?> right) => op switch
    {
        // CEL's logical operators are commutative over errors: false wins over an error for &&, true for ||.
        "&&" => r => Logical(left, right, r, stopAt: false),
        "||" => r => Logical(left, right, r, stopAt: true),
        "==" => r => CelValues.Equal(left(r), right(r)),
        "!=" => r => !CelValues.Equal(left(r), right(r)),
        "<" => r => CelValues.Compare(left(r), right(r)) < 0,
        "<=" => r => CelValues.Compare(left(r), right(r)) <= 0,
        ">" => r => CelValues.Compare(left(r), right(r)) > 0,
        ">=" => r => CelValues.Compare(left(r), right(r)) >= 0,
        "in" => r => CelValues.Contains(right(r), left(r)),
        _ => r => CelValues.Arithmetic(op, left(r), right(r)),
    };

    private static bool Logical(Func<AccessLogRecord, object?> left, Func<AccessLogRecord, object?> right, AccessLogRecord r, bool stopAt)
    {
        CelError? error = null;
        foreach (var side in (ReadOnlySpan<Func<AccessLogRecord, object?>>)[left, right])
        {
            try
            {
                if (side(r) is not bool value)
                {
                    throw new CelError("logical operators need bools");
                }

                if (value == stopAt)
                {
                    return stopAt;
                }
            }
            catch (CelError e)
            {
                error = e;
            }
        }

        return error != null ? throw error : !stopAt;
    }

    private static Func<AccessLogRecord, object?> Call(CelCall call)
    {
        if (call.Function == "has" && call.Target == null && call.Args is [CelSelect probe])
        {
            // The has() macro: whether the field (a header, for the header maps) is present.
            var map = Compile(probe.Operand);
            return r => map(r) is Func<string, string?> lookup && lookup(probe.Field.ToLowerInvariant()) != null;
        }

        var args = call.Args.Select(Compile).ToArray();
        var target = call.Target != null ? Compile(call.Target) : null;
        if (call.Function == "matches" && call.Args is [CelLiteral { Value: string pattern }])
        {
            Regex regex;
            try
            {
                regex = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
            }
            catch (ArgumentException e)
            {
                throw new FormatException($"matches(): invalid regex \"{pattern}\": {e.Message}");
            }

            var subject = target ?? throw new FormatException("matches() is called on a string");
            return r => subject(r) is string s ? regex.IsMatch(s) : throw new CelError("matches() needs a string");
        }

        return (call.Function, target, args.Length) switch
        {
            ("startsWith", not null, 1) => r => Strings(target(r), args[0](r), (s, p) => s.StartsWith(p, StringComparison.Ordinal)),
            ("endsWith", not null, 1) => r => Strings(target(r), args[0](r), (s, p) => s.EndsWith(p, StringComparison.Ordinal)),
            ("contains", not null, 1) => r => Strings(target(r), args[0](r), (s, p) => s.Contains(p, StringComparison.Ordinal)),
            ("size", not null, 0) => r => CelValues.Size(target(r)),
            ("size", null, 1) => r => CelValues.Size(args[0](r)),
            ("int", null, 1) => r => CelValues.ToInt(args[0](r)),
            ("string", null, 1) => r => CelValues.ToText(args[0](r)),
            ("double", null, 1) => r => CelValues.ToDouble(args[0](r)),
            ("duration", null, 1) when call.Args[0] is CelLiteral { Value: string text } => Duration(text),
            _ => throw new FormatException($"unsupported function {call.Function}() with {args.Length} argument(s)"),
        };
    }

    private static Func<AccessLogRecord, object?> Duration(string text)
    {
        // CEL durations as Go writes them: 1.5s, 300ms, 2m, 1h (one unit).
        var units = new (string Suffix, double Seconds)[] { ("ms", 0.001), ("us", 1e-6), ("ns", 1e-9), ("s", 1), ("m", 60), ("h", 3600) };
        foreach (var (suffix, seconds) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal) && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
            {
                var span = TimeSpan.FromSeconds(amount * seconds);
                return _ => span;
            }
        }

        throw new FormatException($"duration(\"{text}\"): not a duration such as 1.5s or 300ms");
    }

    private static bool Strings(object? value, object? argument, Func<string, string, bool> test) =>
        value is string s && argument is string a ? test(s, a) : throw new CelError("string function on a non-string");

    private static object? Lookup(object? container, object? key) => container switch
    {
        Func<string, string?> headers when key is string name => headers(name.ToLowerInvariant()) ?? throw new CelError($"no such key: {name}"),
        PeerMetadata peer when key is string field => CelAttributes.PeerField(peer, field),
        IReadOnlyDictionary<string, string> labels when key is string name => labels.TryGetValue(name, out var label) ? label : throw new CelError($"no such key: {name}"),
        List<object?> list when key is long i && i >= 0 && i < list.Count => list[(int)i],
        _ => throw new CelError("no such key"),
    };
}

/// <summary>Why an expression could not be evaluated for one request (CEL's error value): the request is not logged, a metric tag reads "unknown".</summary>
internal sealed class CelError(string message) : Exception(message);
