using System.Globalization;

namespace Meshwork.Proxy.Telemetry.Cel;

/// <summary>
/// CEL's operators on the values access-log filters see (int as long, uint as ulong, double, string,
/// bool, duration as TimeSpan, lists, header maps): numbers compare across types as CEL's
/// heterogeneous equality does; anything else mismatched is an evaluation error.
/// </summary>
internal static class CelValues
{
    public static bool Equal(object? left, object? right)
    {
        if (IsNumber(left) && IsNumber(right))
        {
            return ToDouble(left) == ToDouble(right);
        }

        return Equals(left, right);
    }

    public static int Compare(object? left, object? right) => (left, right) switch
    {
        (string a, string b) => string.CompareOrdinal(a, b),
        (TimeSpan a, TimeSpan b) => a.CompareTo(b),
        (bool a, bool b) => a.CompareTo(b),
        _ when IsNumber(left) && IsNumber(right) => ToDouble(left).CompareTo(ToDouble(right)),
        _ => throw new CelError("values of different types cannot be ordered"),
    };

    public static bool Contains(object? container, object? item) => container switch
    {
        List<object?> list => list.Any(i => Equal(i, item)),
        Func<string, string?> headers when item is string name => headers(name.ToLowerInvariant()) != null,
        _ => throw new CelError("'in' needs a list or a map"),
    };

    public static object Arithmetic(string op, object? left, object? right) => (op, left, right) switch
    {
        ("+", string a, string b) => a + b,
        ("+", TimeSpan a, TimeSpan b) => a + b,
        ("-", TimeSpan a, TimeSpan b) => a - b,
        (_, long a, long b) => op switch
        {
            "+" => checked(a + b),
            "-" => checked(a - b),
            "*" => checked(a * b),
            "/" => b != 0 ? a / b : throw new CelError("division by zero"),
            _ => b != 0 ? a % b : throw new CelError("modulus by zero"),
        },
        (_, double a, double b) => op switch { "+" => a + b, "-" => a - b, "*" => a * b, "/" => a / b, _ => throw new CelError("% on doubles") },
        _ => throw new CelError($"'{op}' on these types"),
    };

    public static long Size(object? value) => value switch
    {
        string s => s.Length,
        List<object?> list => list.Count,
        _ => throw new CelError("size() of this type"),
    };

    public static long ToInt(object? value) => value switch
    {
        long l => l,
        ulong u => checked((long)u),
        double d => (long)d,
        string s when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
        TimeSpan t => (long)t.TotalSeconds,
        _ => throw new CelError("int() of this value"),
    };

    public static double ToDouble(object? value) => value switch
    {
        long l => l,
        ulong u => u,
        double d => d,
        string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => throw new CelError("double() of this value"),
    };

    public static string ToText(object? value) => value switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => throw new CelError("string() of this value"),
    };

    /// <summary>
    /// A value as Envoy prints a CEL result for a metric tag: strings as they are, bools as
    /// true/false, numbers in invariant form (doubles with up to six significant digits, as
    /// absl::StrCat), durations as Go writes them; other types by their type name.
    /// </summary>
    public static string Print(object? value) => value switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        ulong u => u.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("G6", CultureInfo.InvariantCulture),
        TimeSpan t => Duration(t),
        null => "null_type value",
        List<object?> => "list value",
        _ => "map value",
    };

    private static string Duration(TimeSpan t) =>
        t == TimeSpan.Zero ? "0"
        : t.TotalSeconds >= 1 || t.TotalSeconds <= -1 ? t.TotalSeconds.ToString("0.#########", CultureInfo.InvariantCulture) + "s"
        : t.TotalMilliseconds.ToString("0.######", CultureInfo.InvariantCulture) + "ms";

    private static bool IsNumber(object? value) => value is long or ulong or double;
}
