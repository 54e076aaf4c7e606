using System.Text.RegularExpressions;
using Istio.Mixer.V1.Config.Client;

namespace Meshwork.Proxy.Mixer;

/// <summary>
/// One QuotaSpec rule compiled: it applies when any of its matches holds (or it has none), a match
/// holding when every clause does; a clause compares the string attribute it names exactly, by
/// prefix or by a whole-value regex (Istio's AttributeMatch). A missing or non-string attribute
/// fails its clause.
/// </summary>
internal sealed class QuotaRulePlan
{
    private readonly (string Attribute, Func<string, bool> Test)[][] _matches;

    private QuotaRulePlan((string, Func<string, bool>)[][] matches, (string, long)[] quotas)
    {
        _matches = matches;
        Quotas = quotas;
    }

    public (string Quota, long Charge)[] Quotas { get; }

    public static QuotaRulePlan Compile(QuotaRule rule, string where)
    {
        var matches = rule.Match.Select((match, m) => match.Clause
            .OrderBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => (c.Key, Test(c.Value, $"{where}.match[{m}].clause[\"{c.Key}\"]")))
            .ToArray()).ToArray();
        var quotas = rule.Quotas.Select((q, i) =>
        {
            if (q.Quota_.Length == 0)
            {
                throw new ProxyConfigException($"{where}.quotas[{i}].quota: required");
            }

            // Istio charges 1 when no charge is given.
            return (q.Quota_, q.Charge > 0 ? q.Charge : 1L);
        }).ToArray();
        return new QuotaRulePlan(matches, quotas);
    }

    public bool Matches(IReadOnlyDictionary<string, object> attributes)
    {
        if (_matches.Length == 0)
        {
            return true;
        }

        foreach (var clauses in _matches)
        {
            var all = true;
            foreach (var (attribute, test) in clauses)
            {
                if (!attributes.TryGetValue(attribute, out var value) || value is not string text || !test(text))
                {
                    all = false;
                    break;
                }
            }

            if (all)
            {
                return true;
            }
        }

        return false;
    }

    private static Func<string, bool> Test(StringMatch match, string where)
    {
        switch (match.MatchTypeCase)
        {
            case StringMatch.MatchTypeOneofCase.Exact:
                var exact = match.Exact;
                return v => v == exact;
            case StringMatch.MatchTypeOneofCase.Prefix:
                var prefix = match.Prefix;
                return v => v.StartsWith(prefix, StringComparison.Ordinal);
            case StringMatch.MatchTypeOneofCase.Regex:
                try
                {
                    var regex = new Regex($"^(?:{match.Regex})$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
                    return regex.IsMatch;
                }
                catch (ArgumentException e)
                {
                    throw new ProxyConfigException($"{where}.regex: invalid pattern \"{match.Regex}\": {e.Message}");
                }

            default:
                throw new ProxyConfigException($"{where}: exact, prefix or regex is required");
        }
    }
}
