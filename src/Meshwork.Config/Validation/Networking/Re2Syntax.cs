using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Whether a pattern is valid RE2 as Go's regexp package (which Istio's validator uses) parses it.
/// .NET's engine is a superset in places (backreferences, lookaround, atomic groups, <c>\Z</c>, <c>\G</c>,
/// <c>\k</c>, <c>(?#...)</c>, <c>(?x)</c>) and a subset in others (<c>(?P&lt;name&gt;)</c>, <c>\pL</c>, <c>\Q...\E</c>,
/// <c>\x{...}</c>, the <c>U</c> flag, Unicode script names). So the pattern is scanned for what RE2 refuses,
/// rewritten into the .NET spelling of what RE2 accepts, and only then compiled by .NET to catch the
/// structural errors both engines share (unbalanced parentheses, a quantifier with nothing to repeat).
/// Not reproduced: RE2's program-size limit and its nesting-depth limit of 1000.
/// </summary>
public static class Re2Syntax
{
    /// <summary>Istio refuses longer patterns, approximating Envoy's RE2 program-size limit by length.</summary>
    public const int MaxLength = 1024;

    private const int MaxRepeat = 1000;

    /// <summary>Null when Go's regexp.Compile accepts <paramref name="pattern"/>, else why it does not.</summary>
    public static string? Check(string pattern)
    {
        var translated = new StringBuilder(pattern.Length + 8);
        var error = Translate(pattern, translated);
        if (error != null)
        {
            return "error parsing regexp: " + error;
        }

        try
        {
            _ = new Regex(translated.ToString(), RegexOptions.None, TimeSpan.FromSeconds(1));
            return null;
        }
        catch (ArgumentException e)
        {
            return "error parsing regexp: " + e.Message;
        }
    }

    private static string? Translate(string p, StringBuilder sb)
    {
        var inClass = false;
        var classStart = -1;
        var i = 0;
        while (i < p.Length)
        {
            var c = p[i];
            if (c == '\\')
            {
                var consumed = Escape(p, i, inClass, sb, out var error);
                if (error != null)
                {
                    return error;
                }

                i += consumed;
                continue;
            }

            if (inClass)
            {
                // A ']' right after '[' or '[^' is a literal, in RE2 as in .NET.
                if (c == ']' && i != classStart)
                {
                    inClass = false;
                }

                sb.Append(c);
                i++;
                continue;
            }

            switch (c)
            {
                case '[':
                    inClass = true;
                    classStart = i + 1 < p.Length && p[i + 1] == '^' ? i + 2 : i + 1;
                    sb.Append(p, i, classStart - i);
                    i = classStart;
                    continue;
                case '(' when i + 1 < p.Length && p[i + 1] == '?':
                    {
                        var consumed = Group(p, i, sb, out var error);
                        if (error != null)
                        {
                            return error;
                        }

                        i += consumed;
                        continue;
                    }

                case '{':
                    {
                        var error = Repeat(p, i);
                        if (error != null)
                        {
                            return error;
                        }

                        break;
                    }
            }

            sb.Append(c);
            i++;
        }

        return inClass ? $"missing closing ]: `{p[(classStart - 1)..]}`" : null;
    }

    /// <summary>One escape at <paramref name="i"/>; returns how many characters it used.</summary>
    private static int Escape(string p, int i, bool inClass, StringBuilder sb, out string? error)
    {
        error = null;
        if (i + 1 >= p.Length)
        {
            error = "trailing backslash at end of expression";
            return 1;
        }

        var e = p[i + 1];
        switch (e)
        {
            case 'Q':
                {
                    var end = p.IndexOf("\\E", i + 2, StringComparison.Ordinal);
                    var literal = end < 0 ? p[(i + 2)..] : p[(i + 2)..end];
                    foreach (var ch in literal)
                    {
                        AppendLiteral(sb, ch);
                    }

                    return (end < 0 ? p.Length : end + 2) - i;
                }

            case >= '1' and <= '7' when i + 2 >= p.Length || p[i + 2] is < '0' or > '7':
            case '8' or '9':
                // A lone digit is a backreference, which RE2 does not have.
                error = $"invalid escape sequence: `\\{e}`";
                return 2;
            case >= '0' and <= '7':
                {
                    // Octal: up to three digits in all.
                    var j = i + 1;
                    var value = 0;
                    while (j < p.Length && j < i + 4 && p[j] is >= '0' and <= '7')
                    {
                        value = (value * 8) + (p[j] - '0');
                        j++;
                    }

                    AppendLiteral(sb, (char)value);
                    return j - i;
                }

            case 'x':
                return Hex(p, i, sb, out error);
            case 'p' or 'P':
                return UnicodeClass(p, i, sb, out error);
            case 'a' or 'f' or 't' or 'n' or 'r' or 'v' or 'd' or 'D' or 's' or 'S' or 'w' or 'W':
                sb.Append('\\').Append(e);
                return 2;
            case 'A' or 'z' or 'b' or 'B' when !inClass:
                sb.Append('\\').Append(e);
                return 2;
        }

        if (e < 0x80 && !char.IsAsciiLetterOrDigit(e))
        {
            // RE2 lets any ASCII punctuation be escaped; .NET refuses some (\_), so write it as a literal.
            AppendLiteral(sb, e);
            return 2;
        }

        error = $"invalid escape sequence: `\\{e}`";
        return 2;
    }

    private static int Hex(string p, int i, StringBuilder sb, out string? error)
    {
        error = null;
        int value;
        int end;
        if (i + 2 < p.Length && p[i + 2] == '{')
        {
            var close = p.IndexOf('}', i + 3);
            var digits = close < 0 ? string.Empty : p[(i + 3)..close];
            if (digits.Length == 0 || !int.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value) || value > 0x10FFFF)
            {
                error = $"invalid escape sequence: `{p[i..Math.Min(p.Length, close < 0 ? p.Length : close + 1)]}`";
                return 2;
            }

            end = close + 1;
        }
        else if (i + 3 < p.Length && char.IsAsciiHexDigit(p[i + 2]) && char.IsAsciiHexDigit(p[i + 3]))
        {
            value = int.Parse(p.AsSpan(i + 2, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            end = i + 4;
        }
        else
        {
            error = $"invalid escape sequence: `{p[i..Math.Min(p.Length, i + 4)]}`";
            return 2;
        }

        // Any code point will do for the compile check; keep it in the BMP.
        AppendLiteral(sb, value <= 0xFFFF ? (char)value : 'x');
        return end - i;
    }

    private static int UnicodeClass(string p, int i, StringBuilder sb, out string? error)
    {
        error = null;
        if (i + 2 >= p.Length)
        {
            error = $"invalid character class range: `{p[i..]}`";
            return 2;
        }

        int end;
        if (p[i + 2] == '{')
        {
            var close = p.IndexOf('}', i + 3);
            var name = close < 0 ? string.Empty : p[(i + 3)..close].TrimStart('^');
            if (name.Length == 0 || !name.All(ch => char.IsAsciiLetter(ch) || ch == '_'))
            {
                error = $"invalid character class range: `{p[i..(close < 0 ? p.Length : close + 1)]}`";
                return 2;
            }

            end = close + 1;
        }
        else
        {
            end = i + 3;
        }

        // RE2 also knows script names (\p{Greek}) that .NET does not; any valid class serves the compile check.
        sb.Append('\\').Append(p[i + 1]).Append("{L}");
        return end - i;
    }

    /// <summary>A <c>(?</c> group: named captures and flag groups are RE2; lookaround, atomic groups, comments and conditionals are not.</summary>
    private static int Group(string p, int i, StringBuilder sb, out string? error)
    {
        error = null;
        var rest = p.AsSpan(i + 2);
        if (rest.StartsWith("P<") || (rest.StartsWith("<") && !rest.StartsWith("<=") && !rest.StartsWith("<!")))
        {
            var nameStart = i + (rest[0] == 'P' ? 4 : 3);
            var close = p.IndexOf('>', nameStart);
            var name = close < 0 ? string.Empty : p[nameStart..close];
            if (name.Length == 0 || !name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_'))
            {
                error = $"invalid named capture: `{p[i..(close < 0 ? p.Length : close + 1)]}`";
                return 2;
            }

            sb.Append("(?<").Append(name).Append('>');
            return close + 1 - i;
        }

        // Flags: (?flags) or (?flags:re), flags from "imsU" with at most one '-' that must be followed by a flag.
        var j = i + 2;
        var flags = new StringBuilder();
        var sawMinus = false;
        var flagsAfterMinus = 0;
        while (j < p.Length && p[j] is 'i' or 'm' or 's' or 'U' or '-')
        {
            if (p[j] == '-')
            {
                if (sawMinus)
                {
                    break;
                }

                sawMinus = true;
                flags.Append('-');
            }
            else
            {
                flagsAfterMinus += sawMinus ? 1 : 0;
                if (p[j] != 'U')
                {
                    flags.Append(p[j]);
                }
            }

            j++;
        }

        var valid = j < p.Length && p[j] is ')' or ':' && (!sawMinus || flagsAfterMinus > 0);
        if (!valid)
        {
            var lookbehind = rest.StartsWith("<=") || rest.StartsWith("<!");
            var shown = p[i..Math.Min(p.Length, lookbehind ? i + 4 : Math.Max(j + 1, i + 3))];
            error = $"invalid or unsupported Perl syntax: `{shown}`";
            return 2;
        }

        // The U (ungreedy) flag has no .NET spelling; dropping it does not change whether the pattern parses.
        var netFlags = flags.ToString().TrimEnd('-');
        if (p[j] == ':')
        {
            sb.Append("(?").Append(netFlags).Append(':');
        }
        else if (netFlags.Length > 0)
        {
            sb.Append("(?").Append(netFlags).Append(')');
        }

        return j + 1 - i;
    }

    /// <summary>RE2 caps <c>{n,m}</c> at 1000 and wants n &lt;= m; text that is not a repeat is a literal brace.</summary>
    private static string? Repeat(string p, int i)
    {
        var close = p.IndexOf('}', i);
        if (close < 0)
        {
            return null;
        }

        var body = p[(i + 1)..close];
        var comma = body.IndexOf(',', StringComparison.Ordinal);
        var min = comma < 0 ? body : body[..comma];
        var max = comma < 0 ? body : body[(comma + 1)..];
        if (min.Length == 0 || !min.All(char.IsAsciiDigit) || !max.All(char.IsAsciiDigit))
        {
            return null;
        }

        var n = min.Length > 7 ? int.MaxValue : int.Parse(min, CultureInfo.InvariantCulture);
        var m = max.Length == 0 ? n : max.Length > 7 ? int.MaxValue : int.Parse(max, CultureInfo.InvariantCulture);
        return n > MaxRepeat || m > MaxRepeat || (max.Length > 0 && m < n) ? $"invalid repeat count: `{p[i..(close + 1)]}`" : null;
    }

    private static void AppendLiteral(StringBuilder sb, char c) =>
        sb.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c.ToString() : $"\\u{(int)c:X4}");
}
