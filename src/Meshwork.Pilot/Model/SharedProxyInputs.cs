using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Meshwork.Config.Networking;
using Meshwork.Config.Resources;
using Meshwork.Config.Values;

namespace Meshwork.Pilot.Model;

/// <summary>
/// What the proxy-independent part of CDS, EDS and RDS (and the proxy's scope) reads of a proxy: the proxy with every other
/// field cleared. Generators then run on this reduced proxy, so the reduced proxy is their whole
/// input and the cache key at once (Istio keys its XdsCache by a list of inputs that must be kept in
/// step with the code by hand; here a field the generator reads but the reduction clears changes the
/// output, which the shared-versus-unshared tests catch, rather than serving one proxy another's config).
/// <para>
/// Audit of what the outbound generators read (Generators/Clusters, Endpoints, Routes, Model):
/// <list type="bullet">
/// <item>Type, Generator (proxyless or not), Namespace (scope, exportTo, DestinationRule and
/// VirtualService lookup), DnsDomain (RDS short names), Locality and Network (locality load
/// balancing, topology labels): kept.</item>
/// <item>Labels: read by Sidecar and DestinationRule workload selectors, VirtualService
/// <c>sourceLabels</c> (HTTP, TLS, TCP), Gateway selectors (routers) and <c>failoverPriority</c>
/// (topology labels). Kept under the keys some selector or source match of the snapshot names;
/// all of them for routers and when any <c>failoverPriority</c> is set.</item>
/// <item>IpAddresses: only whether all are IPv6 (a DNS cluster's lookup family); reduced to that.</item>
/// <item>Id, Name, WorkloadName, ServiceAccount, Ports, ClusterId: read only by the inbound side
/// (listeners, inbound clusters), never by the shared part; cleared.</item>
/// <item>PeerAuthentication workload selectors read the labels too, but only for the inbound
/// listeners (LDS, generated per proxy from the whole proxy); the shared client side reads
/// selector-less policies only (<see cref="PeerAuthentications.NamespaceMode"/>), so their keys are not kept.</item>
/// </list>
/// </para>
/// </summary>
public static class SharedProxyInputs
{
    private static readonly ConditionalWeakTable<MeshSnapshot, LabelReads> Reads = new();

    private static readonly ValueList<string> Ipv6Only = ValueList.Of("::");

    public static ProxyNode For(MeshSnapshot snapshot, ProxyNode proxy)
    {
        var reads = Reads.GetValue(snapshot, LabelReads.Of);
        var labels = proxy.Type == ProxyType.Router || reads.All
            ? proxy.Labels
            : proxy.Labels.IsEmpty || reads.Keys.Count == 0
                ? ValueMap<string, string>.Empty
                : new ValueMap<string, string>(proxy.Labels.Where(l => reads.Keys.Contains(l.Key)));
        return new ProxyNode
        {
            Id = string.Empty,
            Type = proxy.Type,
            Name = string.Empty,
            Namespace = proxy.Namespace,
            IpAddresses = AllIpv6(proxy.IpAddresses) ? Ipv6Only : ValueList<string>.Empty,
            DnsDomain = proxy.DnsDomain,
            Labels = labels,
            Generator = proxy.Generator,
            Locality = proxy.Locality,
            Network = proxy.Network,
        };
    }

    private static bool AllIpv6(ValueList<string> addresses) =>
        addresses.Count > 0 && addresses.All(ip => IPAddress.TryParse(ip, out var a) && a.AddressFamily == AddressFamily.InterNetworkV6);

    /// <summary>The label keys a snapshot's selectors and source matches read, or all of them when a failoverPriority compares labels.</summary>
    private sealed record LabelReads(bool All, FrozenSet<string> Keys)
    {
        public static LabelReads Of(MeshSnapshot snapshot)
        {
            var keys = new HashSet<string>(StringComparer.Ordinal);
            var all = !(snapshot.Mesh.LocalityLbSetting?.FailoverPriority.IsEmpty ?? true);
            foreach (var resource in snapshot.Config.OfKind(ResourceKinds.Sidecar))
            {
                keys.UnionWith(resource.SpecAs<Sidecar>().WorkloadSelector?.Labels.Keys ?? []);
            }

            foreach (var resource in snapshot.Config.OfKind(ResourceKinds.DestinationRule))
            {
                var rule = resource.SpecAs<DestinationRule>();
                keys.UnionWith(rule.WorkloadSelector?.MatchLabels.Keys ?? []);
                all |= HasFailoverPriority(rule.TrafficPolicy) || rule.Subsets.Any(s => HasFailoverPriority(s.TrafficPolicy));
            }

            foreach (var resource in snapshot.Config.OfKind(ResourceKinds.VirtualService))
            {
                var spec = resource.SpecAs<VirtualService>();
                keys.UnionWith(spec.Http.SelectMany(h => h.Match).SelectMany(m => m.SourceLabels.Keys));
                keys.UnionWith(spec.Tls.SelectMany(t => t.Match).SelectMany(m => m.SourceLabels.Keys));
                keys.UnionWith(spec.Tcp.SelectMany(t => t.Match).SelectMany(m => m.SourceLabels.Keys));
            }

            return new LabelReads(all, keys.ToFrozenSet(StringComparer.Ordinal));
        }

        private static bool HasFailoverPriority(TrafficPolicy? policy) =>
            policy != null
            && (!(policy.LoadBalancer?.LocalityLbSetting?.FailoverPriority.IsEmpty ?? true)
                || policy.PortLevelSettings.Any(p => !(p.LoadBalancer?.LocalityLbSetting?.FailoverPriority.IsEmpty ?? true)));
    }
}
