using Envoy.Config.Listener.V3;

namespace Meshwork.Proxy.Connections;

/// <summary>
/// Envoy's filter chain matching for one listener, compiled once per config: a tree with one level
/// per criterion in Envoy's order (destination port, destination IP, server name, transport
/// protocol, application protocols, source type, source IP, source port). Each level takes the
/// most specific bucket that matches and never falls back to a less specific one when the levels
/// below fail, exactly as Envoy's FilterChainManagerImpl does; so a connection costs one lookup per
/// level, whatever the number of chains. Overlapping chains are refused, as Envoy refuses them.
/// </summary>
public sealed class FilterChainSelector
{
    /// <summary>Returned by <see cref="Select"/> when no chain matches and the listener has no default chain: close the connection.</summary>
    public const int NoChain = -1;

    private readonly MatchNode? _root;

    private FilterChainSelector(MatchNode? root, int chainCount, bool hasDefault, bool needsTlsInspection)
    {
        _root = root;
        ChainCount = chainCount;
        HasDefaultChain = hasDefault;
        NeedsTlsInspection = needsTlsInspection;
    }

    /// <summary>The number of <c>filter_chains</c>; the default chain, when there is one, has this index.</summary>
    public int ChainCount { get; }

    public bool HasDefaultChain { get; }

    public int DefaultChainIndex => HasDefaultChain ? ChainCount : NoChain;

    /// <summary>
    /// Whether a ClientHello must be read before choosing: some chain matches on server names,
    /// transport protocol <c>tls</c> or application protocols, or the listener asks for the
    /// tls_inspector. When false the caller selects with <see cref="ConnectionFacts.Plain"/> and reads
    /// nothing: a chain for <c>raw_buffer</c> alone then takes every connection, as in Envoy without
    /// the inspector (a DISABLE port, where server-first protocols must not wait for a ClientHello).
    /// </summary>
    public bool NeedsTlsInspection { get; }

    public static FilterChainSelector Compile(Listener listener)
    {
        var matches = new List<CompiledMatch>(listener.FilterChains.Count);
        for (var i = 0; i < listener.FilterChains.Count; i++)
        {
            matches.Add(CompiledMatch.From(listener.Name, ChainLabel(listener.FilterChains[i], i), i, listener.FilterChains[i].FilterChainMatch));
        }

        var inspects = listener.ListenerFilters.Any(f => f.Name == ListenerPlan.TlsInspectorFilter)
            || matches.Any(m => m.ServerNames.Length > 0 || (m.TransportProtocol.Length > 0 && m.TransportProtocol != ConnectionFacts.RawBuffer) || m.ApplicationProtocols.Length > 0);
        var root = matches.Count == 0 ? null : MatchTreeBuilder.Build(listener.Name, matches);
        return new FilterChainSelector(root, matches.Count, listener.DefaultFilterChain != null, inspects);
    }

    /// <summary>How messages name a chain: its name when it has one, else its position.</summary>
    public static string ChainLabel(FilterChain chain, int index) =>
        chain.Name.Length > 0 ? chain.Name : $"filter_chains[{index}]";

    /// <summary>The index of the chain for this connection, <see cref="DefaultChainIndex"/>, or <see cref="NoChain"/>.</summary>
    public int Select(in ConnectionFacts facts)
    {
        var found = _root?.Find(facts) ?? NoChain;
        return found != NoChain ? found : DefaultChainIndex;
    }
}
