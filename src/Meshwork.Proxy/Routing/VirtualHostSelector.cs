using System.Collections.Frozen;

namespace Meshwork.Proxy.Routing;

/// <summary>
/// Envoy's virtual host lookup by authority (RouteMatcher::findVirtualHost), case-insensitive: an
/// exact domain, then suffix wildcards (<c>*.foo.com</c>, <c>*-bar.foo</c>) longest first, then prefix
/// wildcards (<c>foo.*</c>) longest first, then <c>*</c>. A wildcard must cover at least one character.
/// With <c>ignore_port_in_host_matching</c> the port is dropped from the authority first; otherwise
/// <c>host:port</c> must be listed as such (Istio lists both forms). Lookups go through span-keyed
/// frozen dictionaries, so selecting a host allocates nothing.
/// </summary>
internal sealed class VirtualHostSelector
{
    private readonly FrozenDictionary<string, CompiledVirtualHost>.AlternateLookup<ReadOnlySpan<char>> _exact;
    private readonly WildcardLength[] _suffixes;
    private readonly WildcardLength[] _prefixes;
    private readonly CompiledVirtualHost? _default;
    private readonly bool _ignorePort;
    private readonly bool _onlyDefault;

    private VirtualHostSelector(Dictionary<string, CompiledVirtualHost> exact, WildcardLength[] suffixes, WildcardLength[] prefixes, CompiledVirtualHost? fallback, bool ignorePort)
    {
        _exact = exact.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase).GetAlternateLookup<ReadOnlySpan<char>>();
        _suffixes = suffixes;
        _prefixes = prefixes;
        _default = fallback;
        _ignorePort = ignorePort;
        _onlyDefault = exact.Count == 0 && suffixes.Length == 0 && prefixes.Length == 0;
    }

    public static VirtualHostSelector Build(IReadOnlyList<CompiledVirtualHost> hosts, bool ignorePort, string where)
    {
        var exact = new Dictionary<string, CompiledVirtualHost>(StringComparer.OrdinalIgnoreCase);
        var suffixes = new Dictionary<int, Dictionary<string, CompiledVirtualHost>>();
        var prefixes = new Dictionary<int, Dictionary<string, CompiledVirtualHost>>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        CompiledVirtualHost? fallback = null;
        foreach (var host in hosts)
        {
            foreach (var domain in host.Domains)
            {
                if (domain.Length == 0)
                {
                    throw new ProxyConfigException($"{where}: virtual_host \"{host.Name}\": empty domain");
                }

                if (!seen.Add(domain))
                {
                    throw new ProxyConfigException($"{where}: only unique values for domains are permitted; duplicate entry of domain \"{domain}\" in virtual_host \"{host.Name}\"");
                }

                if (domain == "*")
                {
                    fallback = host;
                }
                else if (domain[0] == '*')
                {
                    Add(suffixes, domain[1..], host);
                }
                else if (domain[^1] == '*')
                {
                    Add(prefixes, domain[..^1], host);
                }
                else
                {
                    exact[domain] = host;
                }
            }
        }

        return new VirtualHostSelector(exact, Longest(suffixes), Longest(prefixes), fallback, ignorePort);
    }

    public CompiledVirtualHost? Find(string? authority)
    {
        if (_onlyDefault)
        {
            return _default;
        }

        if (string.IsNullOrEmpty(authority))
        {
            return null;
        }

        var host = authority.AsSpan();
        if (_ignorePort && PortStart(host) is var portStart and >= 0)
        {
            host = host[..portStart];
        }

        if (_exact.TryGetValue(host, out var exact))
        {
            return exact;
        }

        foreach (var suffix in _suffixes)
        {
            if (host.Length > suffix.Length && suffix.Hosts.TryGetValue(host[^suffix.Length..], out var found))
            {
                return found;
            }
        }

        foreach (var prefix in _prefixes)
        {
            if (host.Length > prefix.Length && prefix.Hosts.TryGetValue(host[..prefix.Length], out var found))
            {
                return found;
            }
        }

        return _default;
    }

    /// <summary>Envoy's getPortStart: the last colon, unless it sits inside an IPv6 literal's brackets.</summary>
    private static int PortStart(ReadOnlySpan<char> host)
    {
        var colon = host.LastIndexOf(':');
        if (colon < 0)
        {
            return -1;
        }

        var bracket = host.LastIndexOf(']');
        return bracket < 0 || bracket < colon ? colon : -1;
    }

    private static void Add(Dictionary<int, Dictionary<string, CompiledVirtualHost>> byLength, string key, CompiledVirtualHost host)
    {
        if (!byLength.TryGetValue(key.Length, out var hosts))
        {
            hosts = new Dictionary<string, CompiledVirtualHost>(StringComparer.OrdinalIgnoreCase);
            byLength[key.Length] = hosts;
        }

        hosts[key] = host;
    }

    private static WildcardLength[] Longest(Dictionary<int, Dictionary<string, CompiledVirtualHost>> byLength) =>
        byLength.OrderByDescending(p => p.Key)
            .Select(p => new WildcardLength(p.Key, p.Value.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase).GetAlternateLookup<ReadOnlySpan<char>>()))
            .ToArray();

    private sealed record WildcardLength(int Length, FrozenDictionary<string, CompiledVirtualHost>.AlternateLookup<ReadOnlySpan<char>> Hosts);
}
