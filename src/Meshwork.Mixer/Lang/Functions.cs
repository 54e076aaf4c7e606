using System.Collections.Frozen;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Meshwork.Mixer.Attributes;
using static Meshwork.Mixer.Lang.ExpressionCompiler;

namespace Meshwork.Mixer.Lang;

/// <summary>
/// CEXL's functions (Istio's mixer/pkg/lang externs): constructors of typed values (<c>ip</c>, <c>timestamp</c>,
/// <c>email</c>, <c>dnsName</c>, <c>uri</c>), string tests (<c>match</c>, <c>matches</c>, <c>startsWith</c>,
/// <c>endsWith</c>), <c>conditional</c>, <c>emptyStringMap</c>, <c>toLower</c>, <c>size</c> and <c>reverse</c>.
/// Constant arguments are converted at compile time, so a bad literal is a config error, not a request error.
/// </summary>
internal static class Functions
{
    private static readonly FrozenDictionary<string, string> Empty = FrozenDictionary<string, string>.Empty;

    public static Typed Build(ExpressionCompiler compiler, Call call)
    {
        var args = new List<Typed>();
        if (call.Receiver != null)
        {
            args.Add(compiler.Build(call.Receiver));
        }

        args.AddRange(call.Arguments.Select(compiler.Build));
        var where = $"{call.Function}() at position {call.Position}";
        return call.Function switch
        {
            "match" => Strings(args, where, 2, (s, p) => Glob(s, p)),
            "startsWith" => Strings(args, where, 2, (s, p) => s.StartsWith(p, StringComparison.Ordinal)),
            "endsWith" => Strings(args, where, 2, (s, p) => s.EndsWith(p, StringComparison.Ordinal)),
            "matches" => Matches(args, where),
            "ip" => Convert(args, where, AttributeType.IpAddress, s => IPAddress.TryParse(s, out var a) ? a : null),
            "timestamp" => Convert(args, where, AttributeType.Timestamp, s => DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null),
            "email" => Convert(args, where, AttributeType.EmailAddress, s => s.Contains('@', StringComparison.Ordinal) ? s : null),
            "dnsName" => Convert(args, where, AttributeType.DnsName, s => Uri.CheckHostName(s.TrimEnd('.')) == UriHostNameType.Dns ? s : null),
            "uri" => Convert(args, where, AttributeType.Uri, s => Uri.TryCreate(s, UriKind.Absolute, out _) ? s : null),
            "ip_equal" => Equal(args, where, AttributeType.IpAddress),
            "timestamp_equal" => Equal(args, where, AttributeType.Timestamp),
            "dnsName_equal" => Equal(args, where, AttributeType.DnsName),
            "email_equal" => Equal(args, where, AttributeType.EmailAddress),
            "uri_equal" => Equal(args, where, AttributeType.Uri),
            "conditional" => Conditional(args, where),
            "emptyStringMap" => Arity(args, where, 0) ?? new Typed(AttributeType.StringMap, _ => Empty),
            "toLower" => Unary(args, where, AttributeType.String, AttributeType.String, v => ((string)v).ToLowerInvariant()),
            "reverse" => Unary(args, where, AttributeType.String, AttributeType.String, v => new string(((string)v).Reverse().ToArray())),
            "size" => Size(args, where),
            _ => throw new ExpressionException($"unknown function {call.Function} at position {call.Position}"),
        };
    }

    /// <summary>Mixer's <c>match</c>: a trailing or leading <c>*</c> is a prefix or suffix test, else equality.</summary>
    public static bool Glob(string value, string pattern)
    {
        if (pattern.EndsWith('*'))
        {
            return value.StartsWith(pattern[..^1], StringComparison.Ordinal);
        }

        if (pattern.StartsWith('*'))
        {
            return value.EndsWith(pattern[1..], StringComparison.Ordinal);
        }

        return value == pattern;
    }

    private static Typed? Arity(List<Typed> args, string where, int count) =>
        args.Count == count ? null : throw new ExpressionException($"{where} takes {count} argument(s), got {args.Count}");

    private static Typed Strings(List<Typed> args, string where, int count, Func<string, string, bool> test)
    {
        Arity(args, where, count);
        args.ForEach(a => Require(a, AttributeType.String, where, 0));
        var (a, b) = (args[0].Eval, args[1].Eval);
        return new Typed(AttributeType.Bool, r => a(r) is string x && b(r) is string y ? Box(test(x, y)) : null);
    }

    /// <summary><c>"regex".matches(value)</c>: the receiver is the pattern, compiled once when it is a literal.</summary>
    private static Typed Matches(List<Typed> args, string where)
    {
        Arity(args, where, 2);
        args.ForEach(a => Require(a, AttributeType.String, where, 0));
        var value = args[1].Eval;
        if (args[0].Constant is string pattern)
        {
            Regex regex;
            try
            {
                regex = new Regex(pattern, RegexOptions.CultureInvariant);
            }
            catch (ArgumentException e)
            {
                throw new ExpressionException($"{where}: invalid regular expression \"{pattern}\": {e.Message}");
            }

            return new Typed(AttributeType.Bool, r => value(r) is string s ? Box(regex.IsMatch(s)) : null);
        }

        var p = args[0].Eval;
        return new Typed(AttributeType.Bool, r => p(r) is string x && value(r) is string s ? Box(Regex.IsMatch(s, x)) : null);
    }

    private static Typed Convert(List<Typed> args, string where, AttributeType to, Func<string, object?> parse)
    {
        Arity(args, where, 1);
        Require(args[0], AttributeType.String, where, 0);
        if (args[0].Constant is string text)
        {
            var value = parse(text) ?? throw new ExpressionException($"{where}: \"{text}\" is not a valid {AttributeTypes.Name(to)}");
            return new Typed(to, _ => value, value);
        }

        var eval = args[0].Eval;
        return new Typed(to, r => eval(r) is string s ? parse(s) : null);
    }

    private static Typed Equal(List<Typed> args, string where, AttributeType type)
    {
        Arity(args, where, 2);
        args.ForEach(a => Require(a, type, where, 0));
        var (a, b) = (args[0].Eval, args[1].Eval);
        var ignoreCase = type is AttributeType.DnsName or AttributeType.EmailAddress;
        return new Typed(AttributeType.Bool, r => a(r) is { } x && b(r) is { } y
            ? Box(ignoreCase ? string.Equals((string)x, (string)y, StringComparison.OrdinalIgnoreCase) : x.Equals(y))
            : null);
    }

    private static Typed Conditional(List<Typed> args, string where)
    {
        Arity(args, where, 3);
        Require(args[0], AttributeType.Bool, where, 0);
        if (args[1].Type != args[2].Type)
        {
            throw new ExpressionException($"{where}: both branches must have one type, got {AttributeTypes.Name(args[1].Type)} and {AttributeTypes.Name(args[2].Type)}");
        }

        var (c, t, f) = (args[0].Eval, args[1].Eval, args[2].Eval);
        return new Typed(args[1].Type, r => c(r) switch { true => t(r), false => f(r), _ => null });
    }

    private static Typed Unary(List<Typed> args, string where, AttributeType from, AttributeType to, Func<object, object> apply)
    {
        Arity(args, where, 1);
        Require(args[0], from, where, 0);
        var eval = args[0].Eval;
        return new Typed(to, r => eval(r) is { } v ? apply(v) : null);
    }

    private static Typed Size(List<Typed> args, string where)
    {
        Arity(args, where, 1);
        var eval = args[0].Eval;
        return args[0].Type switch
        {
            AttributeType.String => new Typed(AttributeType.Int64, r => eval(r) is string s ? (long)s.Length : null),
            AttributeType.StringMap => new Typed(AttributeType.Int64, r => eval(r) is IReadOnlyDictionary<string, string> m ? (long)m.Count : null),
            _ => throw new ExpressionException($"{where} needs STRING or STRING_MAP, got {AttributeTypes.Name(args[0].Type)}"),
        };
    }
}
