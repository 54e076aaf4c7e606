using System.Text.RegularExpressions;
using Envoy.Type.Matcher.V3;

namespace Meshwork.Proxy.Routing;

/// <summary>
/// Envoy's StringMatcher compiled once: exact, prefix, suffix, contains (each optionally ignoring
/// ASCII case) or a full-match RE2 regex (which ignores <c>ignore_case</c>, as Envoy does). Works on
/// spans so a header value or a slice of the path needs no copy.
/// </summary>
internal sealed class StringMatch
{
    private enum Kind { Exact, Prefix, Suffix, Contains, Regex }

    private readonly Kind _kind;
    private readonly string _pattern;
    private readonly StringComparison _comparison;
    private readonly Regex? _regex;

    private StringMatch(Kind kind, string pattern, bool ignoreCase, Regex? regex)
    {
        _kind = kind;
        _pattern = pattern;
        _comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        _regex = regex;
    }

    public static StringMatch Exact(string value, bool ignoreCase = false) => new(Kind.Exact, value, ignoreCase, null);

    public static StringMatch Prefix(string value, bool ignoreCase = false) => new(Kind.Prefix, value, ignoreCase, null);

    public static StringMatch Suffix(string value, bool ignoreCase = false) => new(Kind.Suffix, value, ignoreCase, null);

    public static StringMatch Contains(string value, bool ignoreCase = false) => new(Kind.Contains, value, ignoreCase, null);

    public static StringMatch Regex(RegexMatcher regex, string where) => new(Kind.Regex, regex.Regex, false, Re2Regex.FullMatch(regex, where));

    public static StringMatch Compile(StringMatcher matcher, string where) => matcher.MatchPatternCase switch
    {
        StringMatcher.MatchPatternOneofCase.Exact => Exact(matcher.Exact, matcher.IgnoreCase),
        StringMatcher.MatchPatternOneofCase.Prefix => Prefix(NonEmpty(matcher.Prefix, "prefix", where), matcher.IgnoreCase),
        StringMatcher.MatchPatternOneofCase.Suffix => Suffix(NonEmpty(matcher.Suffix, "suffix", where), matcher.IgnoreCase),
        StringMatcher.MatchPatternOneofCase.Contains => Contains(NonEmpty(matcher.Contains, "contains", where), matcher.IgnoreCase),
        StringMatcher.MatchPatternOneofCase.SafeRegex => Regex(matcher.SafeRegex, where),
        _ => throw new ProxyConfigException($"{where}: string matcher has no match pattern"),
    };

    public bool Matches(ReadOnlySpan<char> value) => _kind switch
    {
        Kind.Exact => value.Equals(_pattern, _comparison),
        Kind.Prefix => value.StartsWith(_pattern, _comparison),
        Kind.Suffix => value.EndsWith(_pattern, _comparison),
        Kind.Contains => value.Contains(_pattern, _comparison),
        _ => _regex!.IsMatch(value),
    };

    public override string ToString() => $"{_kind} \"{_pattern}\"";

    /// <summary>Envoy's proto validation requires prefix, suffix and contains to be non-empty.</summary>
    private static string NonEmpty(string value, string field, string where) =>
        value.Length > 0 ? value : throw new ProxyConfigException($"{where}: string matcher {field} must not be empty");
}
