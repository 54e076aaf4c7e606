using System.Globalization;

namespace Meshwork.Config.Reading;

/// <summary>
/// Resolves plain YAML scalars the way Kubernetes' YAML reader (YAML 1.1 rules) does, so that
/// <c>number: 80</c> is an integer, <c>enabled: yes</c> a boolean and <c>version: 1</c> not a string.
/// Istio files go through that reader before Istio sees them, so matching it keeps us exact.
/// </summary>
public static class ScalarResolver
{
    private static readonly HashSet<string> Nulls = ["", "~", "null", "Null", "NULL"];

    private static readonly HashSet<string> Trues = ["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"];

    private static readonly HashSet<string> Falses = ["n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"];

    public static ScalarKind Resolve(string value)
    {
        if (Nulls.Contains(value))
        {
            return ScalarKind.Null;
        }

        if (Trues.Contains(value) || Falses.Contains(value))
        {
            return ScalarKind.Bool;
        }

        if (TryParseInt(value, out _))
        {
            return ScalarKind.Int;
        }

        if (TryParseFloat(value, out _))
        {
            return ScalarKind.Float;
        }

        return ScalarKind.String;
    }

    public static bool TryParseBool(string value, out bool result)
    {
        if (Trues.Contains(value))
        {
            result = true;
            return true;
        }

        result = false;
        return Falses.Contains(value);
    }

    /// <summary>Decimal, <c>0x</c> hex, <c>0o</c> or leading-zero octal and <c>0b</c> binary, with optional sign and <c>_</c> separators.</summary>
    public static bool TryParseInt(string value, out System.Numerics.BigInteger result)
    {
        result = default;
        if (value.Length == 0 || value.Length > 80)
        {
            return false;
        }

        var s = value.Replace("_", string.Empty, StringComparison.Ordinal);
        var negative = false;
        if (s.StartsWith('-') || s.StartsWith('+'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        if (s.Length == 0)
        {
            return false;
        }

        int radix;
        if (s.StartsWith("0x", StringComparison.Ordinal))
        {
            radix = 16;
            s = s[2..];
        }
        else if (s.StartsWith("0o", StringComparison.Ordinal))
        {
            radix = 8;
            s = s[2..];
        }
        else if (s.StartsWith("0b", StringComparison.Ordinal))
        {
            radix = 2;
            s = s[2..];
        }
        else if (s.Length > 1 && s[0] == '0')
        {
            radix = 8;
            s = s[1..];
        }
        else
        {
            radix = 10;
        }

        if (s.Length == 0)
        {
            return false;
        }

        System.Numerics.BigInteger acc = 0;
        foreach (var c in s)
        {
            var digit = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'a' and <= 'f' => c - 'a' + 10,
                >= 'A' and <= 'F' => c - 'A' + 10,
                _ => 99,
            };
            if (digit >= radix)
            {
                return false;
            }

            acc = (acc * radix) + digit;
        }

        result = negative ? -acc : acc;
        return true;
    }

    public static bool TryParseFloat(string value, out double result)
    {
        result = 0;
        switch (value)
        {
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF":
                result = double.PositiveInfinity;
                return true;
            case "-.inf" or "-.Inf" or "-.INF":
                result = double.NegativeInfinity;
                return true;
            case ".nan" or ".NaN" or ".NAN":
                result = double.NaN;
                return true;
        }

        if (value.Length == 0 || value.Length > 80)
        {
            return false;
        }

        // A YAML float needs digits and a '.' or an exponent; plain words such as "Infinity" stay strings.
        var s = value.Replace("_", string.Empty, StringComparison.Ordinal);
        var hasDigit = false;
        foreach (var c in s)
        {
            if (char.IsAsciiDigit(c))
            {
                hasDigit = true;
            }
            else if (c is not ('.' or 'e' or 'E' or '+' or '-'))
            {
                return false;
            }
        }

        return hasDigit && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out result);
    }
}
