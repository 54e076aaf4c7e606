using System.Text.RegularExpressions;
using Envoy.Type.Matcher.V3;

namespace Meshwork.Proxy.Routing;

/// <summary>
/// Envoy's path rewrite, shared by forwarding (<c>prefix_rewrite</c>, <c>regex_rewrite</c>) and
/// redirects: a prefix rewrite replaces what the route matched (the prefix, or the whole path for
/// exact and regex routes); a regex rewrite substitutes every match in the path. Both work on the
/// path without its query, which the caller keeps.
/// </summary>
internal sealed class PathRewriter
{
    private readonly string? _prefixRewrite;
    private readonly Regex? _regex;
    private readonly string _substitution;
    private readonly int _matchedPrefixLength;
    private readonly bool _rewritesWholePath;

    private PathRewriter(string? prefixRewrite, Regex? regex, string substitution, RouteConditions conditions)
    {
        _prefixRewrite = prefixRewrite;
        _regex = regex;
        _substitution = substitution;
        _matchedPrefixLength = conditions.MatchedPrefix.Length;
        _rewritesWholePath = conditions.RewritesWholePath;
    }

    /// <summary>Null when neither rewrite is configured.</summary>
    public static PathRewriter? Compile(string prefixRewrite, RegexMatchAndSubstitute? regexRewrite, RouteConditions conditions, string where)
    {
        if (prefixRewrite.Length > 0 && regexRewrite != null)
        {
            throw new ProxyConfigException($"{where}: prefix_rewrite and regex_rewrite cannot both be set");
        }

        if (regexRewrite != null)
        {
            var at = $"{where}: regex_rewrite";
            var regex = Re2Regex.Search(regexRewrite.Pattern ?? throw new ProxyConfigException($"{at}: pattern is required"), at);
            return new PathRewriter(null, regex, Re2Regex.Substitution(regexRewrite.Substitution, regex, at), conditions);
        }

        return prefixRewrite.Length > 0 ? new PathRewriter(prefixRewrite, null, string.Empty, conditions) : null;
    }

    public string Rewrite(string path)
    {
        if (_regex != null)
        {
            return _regex.Replace(path, _substitution);
        }

        var matched = _rewritesWholePath ? path.Length : Math.Min(_matchedPrefixLength, path.Length);
        return string.Concat(_prefixRewrite, path.AsSpan(matched));
    }
}
