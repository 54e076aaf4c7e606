using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;
using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;

namespace Meshwork.Proxy.Connections;

/// <summary>One chain's match criteria, validated and normalized (lower-case names, masked CIDRs) once.</summary>
internal sealed record CompiledMatch(
    int Index,
    string Label,
    int DestinationPort,
    IPNetwork[] DestinationRanges,
    string[] ServerNames,
    string TransportProtocol,
    string[] ApplicationProtocols,
    FilterChainMatch.Types.ConnectionSourceType SourceType,
    IPNetwork[] SourceRanges,
    int[] SourcePorts)
{
    public static CompiledMatch From(string listener, string label, int index, FilterChainMatch? match)
    {
        match ??= new FilterChainMatch();
        var where = $"listener \"{listener}\": {label}: filter_chain_match";
        if (match.DestinationPort is > 65535)
        {
            throw new ProxyConfigException($"{where}.destination_port {match.DestinationPort}: not a port");
        }

        foreach (var name in match.ServerNames)
        {
            if (name.Length == 0 || name.IndexOf('*', 1) >= 0 || (name[0] == '*' && !name.StartsWith("*.", StringComparison.Ordinal)))
            {
                throw new ProxyConfigException($"{where}.server_names \"{name}\": partial wildcards are not supported (only a leading \"*.\")");
            }
        }

        foreach (var port in match.SourcePorts)
        {
            if (port is 0 or > 65535)
            {
                throw new ProxyConfigException($"{where}.source_ports {port}: not a port");
            }
        }

        return new CompiledMatch(
            index,
            label,
            (int)(match.DestinationPort ?? 0),
            match.PrefixRanges.Select(r => Network(r, $"{where}.prefix_ranges")).Distinct().ToArray(),
            match.ServerNames.Select(n => n.ToLowerInvariant()).Distinct().ToArray(),
            match.TransportProtocol,
            match.ApplicationProtocols.Distinct().ToArray(),
            match.SourceType,
            match.SourcePrefixRanges.Select(r => Network(r, $"{where}.source_prefix_ranges")).Distinct().ToArray(),
            match.SourcePorts.Select(p => (int)p).Distinct().ToArray());
    }

    /// <summary>A CidrRange as a network; host bits beyond the prefix are cleared, as Envoy does.</summary>
    public static IPNetwork Network(CidrRange range, string where)
    {
        if (!IPAddress.TryParse(range.AddressPrefix, out var address))
        {
            throw new ProxyConfigException($"{where} \"{range.AddressPrefix}\": not an IP address");
        }

        var bits = address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        var length = (int)(range.PrefixLen ?? 0);
        if (length > bits)
        {
            throw new ProxyConfigException($"{where} \"{range.AddressPrefix}/{range.PrefixLen}\": prefix_len exceeds {bits}");
        }

        var bytes = address.GetAddressBytes();
        for (var bit = length; bit < bits; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return new IPNetwork(new IPAddress(bytes), length);
    }
}

/// <summary>A level of the match tree: the index of the chain for the connection, or NoChain.</summary>
internal abstract class MatchNode
{
    public abstract int Find(in ConnectionFacts facts);

    /// <summary>IPv4 peers of a dual-stack socket arrive as ::ffff:a.b.c.d; ranges are written for a.b.c.d.</summary>
    protected static IPAddress Plain(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}

internal sealed class ChainLeaf(int index) : MatchNode
{
    public override int Find(in ConnectionFacts facts) => index;
}

/// <summary>Destination or source port: the exact port, else the chains that name none.</summary>
internal sealed class PortNode(bool source, FrozenDictionary<int, MatchNode> exact, MatchNode? any) : MatchNode
{
    public override int Find(in ConnectionFacts facts)
    {
        var port = source ? facts.Source.Port : facts.Destination.Port;
        return exact.TryGetValue(port, out var next) ? next.Find(facts) : any?.Find(facts) ?? FilterChainSelector.NoChain;
    }
}

/// <summary>Destination or source IP: the longest matching prefix, else the chains that name none.</summary>
internal sealed class CidrNode(bool source, (IPNetwork Network, MatchNode Next)[] longestFirst, MatchNode? any) : MatchNode
{
    public override int Find(in ConnectionFacts facts)
    {
        var address = Plain(source ? facts.Source.Address : facts.Destination.Address);
        foreach (var (network, next) in longestFirst)
        {
            if (network.Contains(address))
            {
                return next.Find(facts);
            }
        }

        return any?.Find(facts) ?? FilterChainSelector.NoChain;
    }
}

/// <summary>SNI: exact name, then <c>*.suffix</c> wildcards from the longest suffix down, then the chains that name none.</summary>
internal sealed class ServerNameNode : MatchNode
{
    private readonly FrozenDictionary<string, MatchNode>.AlternateLookup<ReadOnlySpan<char>> _exact;
    private readonly FrozenDictionary<string, MatchNode>.AlternateLookup<ReadOnlySpan<char>> _wildcardSuffixes;
    private readonly bool _hasWildcards;
    private readonly MatchNode? _any;

    public ServerNameNode(FrozenDictionary<string, MatchNode> exact, FrozenDictionary<string, MatchNode> wildcardSuffixes, MatchNode? any)
    {
        _exact = exact.GetAlternateLookup<ReadOnlySpan<char>>();
        _wildcardSuffixes = wildcardSuffixes.GetAlternateLookup<ReadOnlySpan<char>>();
        _hasWildcards = wildcardSuffixes.Count > 0;
        _any = any;
    }

    public override int Find(in ConnectionFacts facts)
    {
        if (facts.ServerName is { Length: > 0 } name)
        {
            if (_exact.TryGetValue(name, out var exact))
            {
                return exact.Find(facts);
            }

            // "www.a.example.com" tries ".a.example.com", ".example.com", ".com" (stored without the '*').
            for (var dot = _hasWildcards ? name.IndexOf('.', 1) : -1; dot >= 0 && dot < name.Length - 1; dot = name.IndexOf('.', dot + 1))
            {
                if (_wildcardSuffixes.TryGetValue(name.AsSpan(dot), out var wildcard))
                {
                    return wildcard.Find(facts);
                }
            }
        }

        return _any?.Find(facts) ?? FilterChainSelector.NoChain;
    }
}

/// <summary>Transport protocol (exact) or application protocols (the first the client offers that some chain names), else the chains that name none.</summary>
internal sealed class ProtocolNode(bool application, FrozenDictionary<string, MatchNode> exact, MatchNode? any) : MatchNode
{
    public override int Find(in ConnectionFacts facts)
    {
        if (!application)
        {
            if (exact.TryGetValue(facts.TransportProtocol, out var transport))
            {
                return transport.Find(facts);
            }
        }
        else
        {
            var offered = facts.ApplicationProtocols;
            for (var i = 0; i < offered.Count; i++)
            {
                if (exact.TryGetValue(offered[i], out var protocol))
                {
                    return protocol.Find(facts);
                }
            }
        }

        return any?.Find(facts) ?? FilterChainSelector.NoChain;
    }
}

/// <summary>Source type: SAME_IP_OR_LOOPBACK or EXTERNAL when a chain names the connection's kind, else ANY.</summary>
internal sealed class SourceTypeNode(MatchNode? local, MatchNode? external, MatchNode? any) : MatchNode
{
    public override int Find(in ConnectionFacts facts)
    {
        if (local != null || external != null)
        {
            var source = Plain(facts.Source.Address);
            var isLocal = IPAddress.IsLoopback(source) || source.Equals(Plain(facts.Destination.Address));
            var specific = isLocal ? local : external;
            if (specific != null)
            {
                return specific.Find(facts);
            }
        }

        return any?.Find(facts) ?? FilterChainSelector.NoChain;
    }
}

/// <summary>Builds the tree level by level: each level buckets the chains by that criterion's values, a chain with several values in each.</summary>
internal static class MatchTreeBuilder
{
    private const int Levels = 8;

    public static MatchNode Build(string listener, IReadOnlyList<CompiledMatch> chains) => Build(listener, chains, 0);

    private static MatchNode Build(string listener, IReadOnlyList<CompiledMatch> chains, int level) => level switch
    {
        0 => Ports(listener, chains, level, source: false, c => c.DestinationPort == 0 ? [] : [c.DestinationPort]),
        1 => Cidrs(listener, chains, level, source: false, c => c.DestinationRanges),
        2 => ServerNames(listener, chains, level),
        3 => Protocols(listener, chains, level, application: false, c => c.TransportProtocol.Length == 0 ? [] : [c.TransportProtocol]),
        4 => Protocols(listener, chains, level, application: true, c => c.ApplicationProtocols),
        5 => SourceTypes(listener, chains, level),
        6 => Cidrs(listener, chains, level, source: true, c => c.SourceRanges),
        7 => Ports(listener, chains, level, source: true, c => c.SourcePorts),
        Levels => Leaf(listener, chains),
        _ => throw new InvalidOperationException("no such match level"),
    };

    private static MatchNode Leaf(string listener, IReadOnlyList<CompiledMatch> chains) => chains.Count == 1
        ? new ChainLeaf(chains[0].Index)
        : throw new ProxyConfigException($"listener \"{listener}\": multiple filter chains with overlapping matching rules are defined: {string.Join(", ", chains.Select(c => c.Label))}");

    private static MatchNode Ports(string listener, IReadOnlyList<CompiledMatch> chains, int level, bool source, Func<CompiledMatch, IReadOnlyCollection<int>> keys)
    {
        var (buckets, any) = Bucket(chains, keys, EqualityComparer<int>.Default);
        return new PortNode(source, buckets.ToFrozenDictionary(b => b.Key, b => Build(listener, b.Value, level + 1)), Next(listener, any, level));
    }

    private static MatchNode Cidrs(string listener, IReadOnlyList<CompiledMatch> chains, int level, bool source, Func<CompiledMatch, IReadOnlyCollection<IPNetwork>> keys)
    {
        var (buckets, any) = Bucket(chains, keys, EqualityComparer<IPNetwork>.Default);
        var longestFirst = buckets
            .OrderByDescending(b => b.Key.PrefixLength)
            .Select(b => (b.Key, Build(listener, b.Value, level + 1)))
            .ToArray();
        return new CidrNode(source, longestFirst, Next(listener, any, level));
    }

    private static MatchNode ServerNames(string listener, IReadOnlyList<CompiledMatch> chains, int level)
    {
        var (buckets, any) = Bucket(chains, c => c.ServerNames, StringComparer.Ordinal);
        var exact = buckets.Where(b => b.Key[0] != '*').ToFrozenDictionary(b => b.Key, b => Build(listener, b.Value, level + 1), StringComparer.OrdinalIgnoreCase);
        var wildcards = buckets.Where(b => b.Key[0] == '*').ToFrozenDictionary(b => b.Key[1..], b => Build(listener, b.Value, level + 1), StringComparer.OrdinalIgnoreCase);
        return new ServerNameNode(exact, wildcards, Next(listener, any, level));
    }

    private static MatchNode Protocols(string listener, IReadOnlyList<CompiledMatch> chains, int level, bool application, Func<CompiledMatch, IReadOnlyCollection<string>> keys)
    {
        var (buckets, any) = Bucket(chains, keys, StringComparer.Ordinal);
        return new ProtocolNode(application, buckets.ToFrozenDictionary(b => b.Key, b => Build(listener, b.Value, level + 1), StringComparer.Ordinal), Next(listener, any, level));
    }

    private static MatchNode SourceTypes(string listener, IReadOnlyList<CompiledMatch> chains, int level)
    {
        MatchNode? Of(FilterChainMatch.Types.ConnectionSourceType type)
        {
            var matching = chains.Where(c => c.SourceType == type).ToList();
            return matching.Count == 0 ? null : Build(listener, matching, level + 1);
        }

        return new SourceTypeNode(
            Of(FilterChainMatch.Types.ConnectionSourceType.SameIpOrLoopback),
            Of(FilterChainMatch.Types.ConnectionSourceType.External),
            Of(FilterChainMatch.Types.ConnectionSourceType.Any));
    }

    private static MatchNode? Next(string listener, List<CompiledMatch> any, int level) =>
        any.Count == 0 ? null : Build(listener, any, level + 1);

    private static (Dictionary<TKey, List<CompiledMatch>> Buckets, List<CompiledMatch> Any) Bucket<TKey>(
        IReadOnlyList<CompiledMatch> chains, Func<CompiledMatch, IReadOnlyCollection<TKey>> keys, IEqualityComparer<TKey> comparer)
        where TKey : notnull
    {
        var buckets = new Dictionary<TKey, List<CompiledMatch>>(comparer);
        var any = new List<CompiledMatch>();
        foreach (var chain in chains)
        {
            var values = keys(chain);
            if (values.Count == 0)
            {
                any.Add(chain);
                continue;
            }

            foreach (var value in values)
            {
                if (!buckets.TryGetValue(value, out var bucket))
                {
                    buckets[value] = bucket = [];
                }

                bucket.Add(chain);
            }
        }

        return (buckets, any);
    }
}
