using System.Runtime.CompilerServices;
using Meshwork.Config.Networking;
using Meshwork.Config.Resources;
using Meshwork.Registry.Model;
using Meshwork.Registry.ServiceEntries;

namespace Meshwork.Pilot.Model;

/// <summary>
/// The DestinationRule that applies to one (proxy, service) pair, possibly merged from several
/// rules of one namespace for one host (Istio's ConsolidatedDestRule): the first rule's traffic
/// policy, the subsets of all of them (first name wins).
/// </summary>
public sealed record AppliedDestinationRule(DestinationRule Rule, ConfigResource Source)
{
    /// <summary>Istio's config reference in cluster metadata: <c>/apis/GROUP/VERSION/namespaces/NS/destination-rule/NAME</c>.</summary>
    public string ConfigPath => $"/apis/{Source.ApiVersion}/namespaces/{Source.Namespace}/destination-rule/{Source.Name}";
}

/// <summary>Which way the traffic the rule is looked up for flows; workload-selected rules apply to outbound traffic only, as in Istio.</summary>
public enum TrafficDirection
{
    Outbound,
    Inbound,
}

/// <summary>
/// Every DestinationRule of a snapshot, indexed for Istio's lookup (PushContext.destinationRule and
/// SidecarScope.DestinationRule): a rule in the proxy's namespace first, then one exported from the
/// service's namespace, then one exported from the root namespace. Within the first namespace whose
/// rules name the host (exactly, else by the most specific wildcard), a rule whose workload selector
/// matches the proxy wins over the rule without a selector; selectors count only in the proxy's own
/// namespace. Short hosts resolve against the rule's namespace. Built once per snapshot.
/// </summary>
public sealed class DestinationRuleIndex
{
    private const string DomainSuffix = "svc.cluster.local";

    private static readonly ConditionalWeakTable<MeshSnapshot, DestinationRuleIndex> Cache = new();

    private readonly ILookup<string, Entry> _byNamespace;
    private readonly Dictionary<string, NamespaceRules> _hosts;
    private readonly string _rootNamespace;

    private DestinationRuleIndex(MeshSnapshot snapshot)
    {
        _rootNamespace = snapshot.Mesh.EffectiveRootNamespace;
        var defaultExportTo = snapshot.Mesh.DefaultDestinationRuleExportTo;
        _byNamespace = snapshot.Config.OfKind(ResourceKinds.DestinationRule)
            .OrderBy(r => r.Metadata.CreationTimestamp, StringComparer.Ordinal)
            .ThenBy(r => r.Name, StringComparer.Ordinal)
            .Select(r =>
            {
                var rule = r.SpecAs<DestinationRule>();
                var exportTo = ServiceExportTo.Resolve(rule.ExportTo.IsEmpty ? defaultExportTo : rule.ExportTo, r.Namespace);
                return new Entry(r, rule, ResolveHost(rule.Host, r.Namespace), exportTo);
            })
            .ToLookup(e => e.Resource.Namespace, StringComparer.Ordinal);
        _hosts = _byNamespace.ToDictionary(g => g.Key, g => new NamespaceRules(g), StringComparer.Ordinal);
    }

    /// <summary>The index of <paramref name="snapshot"/>, built on first use and kept as long as the snapshot lives.</summary>
    public static DestinationRuleIndex Of(MeshSnapshot snapshot) => Cache.GetValue(snapshot, s => new DestinationRuleIndex(s));

    /// <summary>Istio's ResolveShortnameToFQDN: a host without a dot is a service of the rule's namespace.</summary>
    public static string ResolveHost(string host, string @namespace) =>
        host == "*" || host.Contains('.', StringComparison.Ordinal) ? host : $"{host}.{@namespace}.{DomainSuffix}";

    /// <summary>The rule for traffic from <paramref name="proxy"/> to <paramref name="service"/>, or null.</summary>
    public AppliedDestinationRule? For(ProxyNode proxy, MeshService service, TrafficDirection direction = TrafficDirection.Outbound)
    {
        // 1. The proxy's own namespace: any rule there visible to the namespace itself.
        var level = Pick(proxy.Namespace, e => e.ExportTo.IsVisibleTo(e.Resource.Namespace), service.Hostname);
        if (level != null)
        {
            return Select(level, proxy, direction);
        }

        // 2. and 3. Rules exported from the service's namespace, then from the root namespace.
        foreach (var ns in new[] { service.Namespace, _rootNamespace })
        {
            level = Pick(ns, e => !e.IsPrivate, service.Hostname);
            if (level != null && level.Any(e => e.ExportTo.IsVisibleTo(proxy.Namespace)))
            {
                return Select(level, proxy, direction);
            }
        }

        return null;
    }

    /// <summary>
    /// The rules of <paramref name="namespace"/> passing <paramref name="include"/> that name the most
    /// specific host matching <paramref name="hostname"/> (the exact host, else the longest wildcard),
    /// or null when none does. Exact hosts are looked up, not scanned: a namespace with a rule per
    /// service was scanned once per service and proxy.
    /// </summary>
    private List<Entry>? Pick(string @namespace, Func<Entry, bool> include, string hostname)
    {
        if (!_hosts.TryGetValue(@namespace, out var rules))
        {
            return null;
        }

        if (rules.ByHost.TryGetValue(hostname, out var exact) && exact.Where(include).ToList() is { Count: > 0 } named)
        {
            return named;
        }

        var matching = rules.Wildcards.Where(e => include(e) && ProxyScope.HostMatches(e.Host, hostname)).ToList();
        if (matching.Count == 0)
        {
            return null;
        }

        var best = matching.Select(e => e.Host).OrderByDescending(h => h.Length).ThenBy(h => h, StringComparer.Ordinal).First();
        return matching.Where(e => e.Host == best).ToList();
    }

    private static AppliedDestinationRule? Select(List<Entry> level, ProxyNode proxy, TrafficDirection direction)
    {
        if (direction == TrafficDirection.Outbound)
        {
            var selected = level.Where(e => e.HasSelector && e.Resource.Namespace == proxy.Namespace
                && IstioLabels.Selects(e.Rule.WorkloadSelector!.MatchLabels, proxy.Labels)).ToList();
            if (selected.Count > 0)
            {
                return Merge(selected);
            }
        }

        var catchAll = level.Where(e => !e.HasSelector).ToList();
        return catchAll.Count > 0 ? Merge(catchAll) : null;
    }

    /// <summary>Istio's mergeDestinationRule: the first rule's traffic policy (or the first one set), subsets appended when their name is new.</summary>
    private static AppliedDestinationRule Merge(List<Entry> rules)
    {
        var first = rules[0];
        if (rules.Count == 1)
        {
            return new AppliedDestinationRule(first.Rule, first.Resource);
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var subsets = rules.SelectMany(r => r.Rule.Subsets).Where(s => names.Add(s.Name)).ToArray();
        var merged = first.Rule with
        {
            TrafficPolicy = rules.Select(r => r.Rule.TrafficPolicy).FirstOrDefault(p => p != null),
            Subsets = subsets,
        };
        return new AppliedDestinationRule(merged, first.Resource);
    }

    /// <summary>One namespace's rules by exact host, and those whose host is a wildcard (in order).</summary>
    private sealed class NamespaceRules(IEnumerable<Entry> entries)
    {
        public Dictionary<string, List<Entry>> ByHost { get; } = entries.Where(e => !IsWildcard(e.Host))
            .GroupBy(e => e.Host, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

        public List<Entry> Wildcards { get; } = entries.Where(e => IsWildcard(e.Host)).ToList();

        private static bool IsWildcard(string host) => host == "*" || host.StartsWith("*.", StringComparison.Ordinal);
    }

    private sealed record Entry(ConfigResource Resource, DestinationRule Rule, string Host, ServiceExportTo ExportTo)
    {
        public bool HasSelector => Rule.WorkloadSelector is { MatchLabels.IsEmpty: false };

        /// <summary>Exported only to its own namespace (<c>.</c> or the namespace's name): never seen from the other namespaces' lookups.</summary>
        public bool IsPrivate => !ExportTo.IsPublic && ExportTo.Namespaces.All(n => n == Resource.Namespace);
    }
}
