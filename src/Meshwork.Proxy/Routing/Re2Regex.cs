using System.Text;
using System.Text.RegularExpressions;
using Envoy.Type.Matcher.V3;

namespace Meshwork.Proxy.Routing;

/// <summary>
/// Envoy's RE2 regexes as .NET regexes, built once at config time. NonBacktracking gives RE2's
/// guarantees (linear time, no backreferences or lookarounds, which are then refused as RE2 refuses
/// them), so a VirtualService regex cannot stall the data path.
/// </summary>
internal static class Re2Regex
{
    private const RegexOptions Options = RegexOptions.Compiled | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking;

    /// <summary>A regex that must match the whole input, as RE2::FullMatch (Envoy's matchers).</summary>
    public static Regex FullMatch(RegexMatcher matcher, string where, bool ignoreCase = false) =>
        Build("^(?:" + Translate(matcher.Regex) + @")\z", matcher.Regex, where, ignoreCase);

    /// <summary>A regex that finds matches anywhere, as RE2::GlobalReplace (Envoy's rewrites).</summary>
    public static Regex Search(RegexMatcher matcher, string where) => Build(Translate(matcher.Regex), matcher.Regex, where, ignoreCase: false);

    /// <summary>
    /// RE2's rewrite string (<c>\1</c> for a group, <c>\\</c> for a backslash) in .NET's replacement
    /// syntax (<c>${1}</c>, with <c>$</c> escaped), checked against the groups the pattern has.
    /// </summary>
    public static string Substitution(string rewrite, Regex pattern, string where)
    {
        var output = new StringBuilder(rewrite.Length + 8);
        var groups = pattern.GetGroupNumbers().Max();
        for (var i = 0; i < rewrite.Length; i++)
        {
            var c = rewrite[i];
            if (c == '$')
            {
                output.Append("$$");
            }
            else if (c != '\\')
            {
                output.Append(c);
            }
            else if (i + 1 < rewrite.Length && rewrite[i + 1] == '\\')
            {
                output.Append('\\');
                i++;
            }
            else if (i + 1 < rewrite.Length && char.IsAsciiDigit(rewrite[i + 1]))
            {
                var group = rewrite[i + 1] - '0';
                if (group > groups)
                {
                    throw new ProxyConfigException($"{where}: substitution \"{rewrite}\" refers to group {group}, the pattern has {groups}");
                }

                output.Append("${").Append(group).Append('}');
                i++;
            }
            else
            {
                throw new ProxyConfigException($"{where}: substitution \"{rewrite}\": a backslash must be followed by a digit or a backslash");
            }
        }

        return output.ToString();
    }

    private static Regex Build(string pattern, string original, string where, bool ignoreCase)
    {
        try
        {
            return new Regex(pattern, ignoreCase ? Options | RegexOptions.IgnoreCase : Options);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw new ProxyConfigException($"{where}: safe_regex \"{original}\": invalid regex: {e.Message}");
        }
    }

    /// <summary>
    /// RE2 syntax .NET spells differently: named groups <c>(?P&lt;name&gt;...)</c> become
    /// <c>(?&lt;name&gt;...)</c>, and a quoted literal <c>\Q...\E</c> (to the end when unclosed) is
    /// escaped character by character. Other escapes are copied as they are.
    /// </summary>
    internal static string Translate(string regex)
    {
        if (!regex.Contains("\\Q", StringComparison.Ordinal))
        {
            return regex.Replace("(?P<", "(?<", StringComparison.Ordinal);
        }

        var output = new StringBuilder(regex.Length + 16);
        for (var i = 0; i < regex.Length; i++)
        {
            if (regex[i] != '\\' || i + 1 >= regex.Length)
            {
                output.Append(regex[i]);
                continue;
            }

            if (regex[i + 1] != 'Q')
            {
                output.Append(regex, i, 2);
                i++;
                continue;
            }

            var end = regex.IndexOf("\\E", i + 2, StringComparison.Ordinal);
            var literal = end < 0 ? regex[(i + 2)..] : regex[(i + 2)..end];
            output.Append(Regex.Escape(literal));
            i = end < 0 ? regex.Length : end + 1;
        }

        return output.ToString().Replace("(?P<", "(?<", StringComparison.Ordinal);
    }
}
