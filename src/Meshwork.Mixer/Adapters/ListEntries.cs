using System.Collections.Frozen;
using System.Net;
using System.Text.RegularExpressions;
using Meshwork.Mixer.Runtime;

namespace Meshwork.Mixer.Adapters;

/// <summary>listchecker's Params.ListEntryType.</summary>
public enum ListEntryType
{
    Strings,
    CaseInsensitiveStrings,
    IpAddresses,
    Regex,
}

/// <summary>One immutable list built from overrides plus the provider's text; swapped whole on refresh.</summary>
public sealed class ListEntries
{
    private readonly FrozenSet<string> _strings;
    private readonly IPNetwork[] _networks;
    private readonly Regex[] _patterns;

    private ListEntries(FrozenSet<string> strings, IPNetwork[] networks, Regex[] patterns)
    {
        _strings = strings;
        _networks = networks;
        _patterns = patterns;
    }

    public int Count => _strings.Count + _networks.Length + _patterns.Length;

    /// <summary>Builds the list; <paramref name="entries"/> carry the field path each came from, for errors.</summary>
    public static ListEntries Build(ListEntryType type, IEnumerable<(string Entry, Func<string, Exception> Error)> entries)
    {
        var strings = new List<string>();
        var networks = new List<IPNetwork>();
        var patterns = new List<Regex>();
        foreach (var (entry, error) in entries)
        {
            switch (type)
            {
                case ListEntryType.IpAddresses:
                    var cidr = entry.Contains('/', StringComparison.Ordinal) ? entry : entry + (entry.Contains(':', StringComparison.Ordinal) ? "/128" : "/32");
                    networks.Add(IPNetwork.TryParse(cidr, out var network) ? network : throw error($"could not parse \"{entry}\" as an IP address or CIDR range"));
                    break;
                case ListEntryType.Regex:
                    try
                    {
                        patterns.Add(new Regex(entry, RegexOptions.CultureInvariant));
                    }
                    catch (ArgumentException e)
                    {
                        throw error($"invalid regular expression \"{entry}\": {e.Message}");
                    }

                    break;
                default:
                    strings.Add(entry);
                    break;
            }
        }

        var comparer = type == ListEntryType.CaseInsensitiveStrings ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
        return new ListEntries(strings.ToFrozenSet(comparer), [.. networks], [.. patterns]);
    }

    /// <summary>Reads a provider's body: one entry per line, YAML list dashes and '#' comments allowed.</summary>
    public static IEnumerable<string> ParseText(string text) =>
        text.Split('\n')
            .Select(l => l.Split('#')[0].Trim())
            .Select(l => l.StartsWith("- ", StringComparison.Ordinal) ? l[2..].Trim().Trim('"', '\'') : l)
            .Where(l => l.Length > 0);

    public bool Contains(object value)
    {
        if (value is IPAddress ip)
        {
            return _networks.Any(n => n.Contains(ip)) || _strings.Contains(ip.ToString());
        }

        var text = value.ToString() ?? string.Empty;
        if (_strings.Contains(text))
        {
            return true;
        }

        if (_networks.Length > 0 && IPAddress.TryParse(text, out var parsed) && _networks.Any(n => n.Contains(parsed)))
        {
            return true;
        }

        return _patterns.Any(p => p.IsMatch(text));
    }
}
