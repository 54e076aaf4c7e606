using Meshwork.Config.Networking;
using Meshwork.Config.Resources;
using Meshwork.Pilot.Model;
using Meshwork.Registry.Model;

namespace Meshwork.Pilot.Generators.Routes;

/// <summary>
/// Finds the DestinationRule that governs a host for one proxy, in Istio's order
/// (PushContext.destinationRule): the proxy's namespace, then the service's namespace, then the
/// root namespace, each by the most specific host match and only rules exported to the proxy's
/// namespace. Routes read it for consistent-hash policies.
/// </summary>
internal sealed class DestinationRuleLookup
{
    private readonly Dictionary<string, NamespaceRules> _byNamespace;
    private readonly ProxyNode _proxy;
    private readonly string _rootNamespace;

    private DestinationRuleLookup(IReadOnlyList<Candidate> rules, ProxyNode proxy, string rootNamespace)
    {
        // Indexed once per table: a table asks for a rule per service, and scanning every rule for
        // each of them was quadratic in the mesh's size.
        _byNamespace = rules.GroupBy(r => r.Namespace, StringComparer.Ordinal).ToDictionary(g => g.Key, g => new NamespaceRules(g), StringComparer.Ordinal);
        _proxy = proxy;
        _rootNamespace = rootNamespace;
    }

    public static DestinationRuleLookup For(MeshSnapshot snapshot, ProxyNode proxy)
    {
        var defaultExportTo = snapshot.Mesh.DefaultDestinationRuleExportTo;
        var rules = snapshot.Config.OfKind(ResourceKinds.DestinationRule)
            .OrderBy(r => r.Metadata.CreationTimestamp, StringComparer.Ordinal)
            .ThenBy(r => r.Name, StringComparer.Ordinal)
            .ThenBy(r => r.Namespace, StringComparer.Ordinal)
            .Select(r =>
            {
                var spec = r.SpecAs<DestinationRule>();
                var exportTo = spec.ExportTo.IsEmpty && !defaultExportTo.IsEmpty ? defaultExportTo : spec.ExportTo;
                return new Candidate(r.Namespace, Hostnames.ResolveShortName(spec.Host, r.Namespace), spec, ServiceExportTo.Resolve(exportTo, r.Namespace));
            })
            .Where(c => c.Rule.WorkloadSelector is not { MatchLabels.IsEmpty: false } selector
                || (c.Namespace == proxy.Namespace && selector.MatchLabels.All(l => proxy.Labels.TryGetValue(l.Key, out var v) && v == l.Value)))
            .ToList();
        return new DestinationRuleLookup(rules, proxy, snapshot.Mesh.EffectiveRootNamespace);
    }

    /// <summary>The rule for <paramref name="hostname"/>; several rules for the same host in one namespace merge (first one's policy, all subsets).</summary>
    public DestinationRule? RuleFor(string hostname, string? serviceNamespace)
    {
        var local = _proxy.Namespace == _rootNamespace
            ? Select(_rootNamespace, hostname, exportedOnly: false)
            : Select(_proxy.Namespace, hostname, exportedOnly: false);
        return local
            ?? (serviceNamespace is { Length: > 0 } ? Select(serviceNamespace, hostname, exportedOnly: true) : null)
            ?? Select(_rootNamespace, hostname, exportedOnly: true);
    }

    /// <summary>Istio's hashForHTTPDestination: subset port-level, then subset, then port-level, then the rule's own consistent hash.</summary>
    public ConsistentHashLb? HashFor(Destination destination, string? serviceNamespace)
    {
        var rule = RuleFor(destination.Host, serviceNamespace);
        if (rule == null)
        {
            return null;
        }

        var port = destination.Port?.Number ?? 0;
        var hash = rule.TrafficPolicy?.LoadBalancer?.ConsistentHash;
        var portHash = PortHash(rule.TrafficPolicy, port);
        var subset = rule.Subsets.FirstOrDefault(s => s.Name == destination.Subset);
        var subsetHash = subset?.TrafficPolicy?.LoadBalancer?.ConsistentHash;
        var subsetPortHash = subset == null ? null : PortHash(subset.TrafficPolicy, port);
        return subsetPortHash ?? subsetHash ?? portHash ?? hash;
    }

    /// <summary>Istio's hashForService, for the default route of a service port without a VirtualService.</summary>
    public ConsistentHashLb? HashFor(MeshService service, uint port)
    {
        var policy = RuleFor(service.Hostname, service.Namespace)?.TrafficPolicy;
        var portLevel = policy?.PortLevelSettings.FirstOrDefault(p => p.Port?.Number == port);
        return portLevel?.LoadBalancer?.ConsistentHash ?? policy?.LoadBalancer?.ConsistentHash;
    }

    private static ConsistentHashLb? PortHash(TrafficPolicy? policy, uint port) =>
        port == 0 ? null : policy?.PortLevelSettings.FirstOrDefault(p => p.Port?.Number == port)?.LoadBalancer?.ConsistentHash;

    private DestinationRule? Select(string @namespace, string hostname, bool exportedOnly)
    {
        if (!_byNamespace.TryGetValue(@namespace, out var rules))
        {
            return null;
        }

        // Most specific match: the exact host, else the longest wildcard (the first of equals).
        var matching = (rules.ByHost.GetValueOrDefault(hostname) ?? []).Where(Exported).ToList();
        if (matching.Count == 0)
        {
            var wildcards = rules.Wildcards.Where(r => Exported(r) && Hostnames.SubsetOf(hostname, r.Host)).ToList();
            if (wildcards.Count == 0)
            {
                return null;
            }

            var best = wildcards.Select(r => r.Host).OrderByDescending(h => h.Length).First();
            matching = wildcards.Where(r => r.Host == best).ToList();
        }

        var merged = matching[0].Rule;
        foreach (var other in matching.Skip(1).Select(r => r.Rule))
        {
            var subsets = merged.Subsets.Concat(other.Subsets.Where(s => merged.Subsets.All(m => m.Name != s.Name)));
            merged = merged with { Subsets = new Config.Values.ValueList<Subset>(subsets) };
        }

        return merged;

        bool Exported(Candidate rule) => !exportedOnly || rule.ExportTo.IsVisibleTo(_proxy.Namespace);
    }

    private sealed record Candidate(string Namespace, string Host, DestinationRule Rule, ServiceExportTo ExportTo);

    /// <summary>One namespace's rules by host (wildcard hosts too, for a wildcard name), and those whose host is a wildcard; each in order.</summary>
    private sealed class NamespaceRules(IEnumerable<Candidate> rules)
    {
        public Dictionary<string, List<Candidate>> ByHost { get; } = rules.GroupBy(r => r.Host, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

        public List<Candidate> Wildcards { get; } = rules.Where(r => Hostnames.IsWildcard(r.Host)).ToList();
    }
}
