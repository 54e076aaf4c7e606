using System.Collections.Immutable;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Push;

/// <summary>Why a push happens (Istio's pilot_push_triggers types).</summary>
public enum PushReason
{
    Config,
    Endpoint,
    Service,
    Proxy,
    Debug,
}

/// <summary>
/// What changed since the last push, merged across debounced events. A request with
/// <see cref="Full"/> false touches only endpoints, so only the named ClusterLoadAssignments are sent.
/// </summary>
public sealed record PushRequest
{
    /// <summary>True when config or services changed: proxies get CDS/LDS/RDS recomputed, not only EDS.</summary>
    public bool Full { get; init; }

    /// <summary>Resource keys (<c>Kind/namespace/name</c>) whose config changed; empty with <see cref="Full"/> means everything.</summary>
    public ImmutableHashSet<string> ConfigsUpdated { get; init; } = ImmutableHashSet<string>.Empty;

    /// <summary>Services (hostnames) whose endpoints changed.</summary>
    public ImmutableHashSet<string> EndpointsUpdated { get; init; } = ImmutableHashSet<string>.Empty;

    /// <summary>
    /// Addresses of proxies that get a full push although the request is incremental, as Istio pushes
    /// one proxy: a workload that joined or left changes its own sidecar's inbound listeners and
    /// clusters, and only the endpoints of everyone else's.
    /// </summary>
    public ImmutableHashSet<string> FullForProxiesAt { get; init; } = ImmutableHashSet<string>.Empty;

    public ImmutableDictionary<PushReason, int> Reasons { get; init; } = ImmutableDictionary<PushReason, int>.Empty;

    /// <summary>When the first event merged into this request happened, for convergence metrics.</summary>
    public DateTimeOffset Start { get; init; }

    public static PushRequest ForConfig(IEnumerable<string> keys, DateTimeOffset now) =>
        new() { Full = true, ConfigsUpdated = keys.ToImmutableHashSet(), Reasons = ImmutableDictionary<PushReason, int>.Empty.Add(PushReason.Config, 1), Start = now };

    public static PushRequest ForEndpoints(IEnumerable<string> hosts, DateTimeOffset now) =>
        new() { EndpointsUpdated = hosts.ToImmutableHashSet(), Reasons = ImmutableDictionary<PushReason, int>.Empty.Add(PushReason.Endpoint, 1), Start = now };

    /// <summary>Workloads at <paramref name="addresses"/> joined or left: their own proxies in full, everyone else the endpoints of <paramref name="hosts"/>.</summary>
    public static PushRequest ForWorkloads(IEnumerable<string> hosts, IEnumerable<string> addresses, DateTimeOffset now) =>
        new()
        {
            EndpointsUpdated = hosts.ToImmutableHashSet(),
            FullForProxiesAt = addresses.ToImmutableHashSet(),
            Reasons = ImmutableDictionary<PushReason, int>.Empty.Add(PushReason.Endpoint, 1).Add(PushReason.Proxy, 1),
            Start = now,
        };

    public static PushRequest ForServices(IEnumerable<string> hosts, DateTimeOffset now) =>
        new() { Full = true, EndpointsUpdated = hosts.ToImmutableHashSet(), Reasons = ImmutableDictionary<PushReason, int>.Empty.Add(PushReason.Service, 1), Start = now };

    /// <summary>
    /// True when this is a full push only because config of the given kinds changed (no service or
    /// "everything" push merged in): a generator that reads none of those kinds has nothing new to
    /// send, as Istio's skippedCdsConfigs / skippedEdsConfigs say. Keys are <c>Kind/namespace/name</c>.
    /// </summary>
    public bool OnlyConfigsOfKinds(IReadOnlySet<string> kinds) =>
        Full
        && !ConfigsUpdated.IsEmpty
        && Reasons.Keys.All(r => r is PushReason.Config or PushReason.Endpoint)
        && ConfigsUpdated.All(key => kinds.Contains(key.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? key[..slash] : key));

    /// <summary>
    /// The request as <paramref name="proxy"/> should see it: everything when a workload at its own
    /// address joined or left (<see cref="FullForProxiesAt"/>), even when merged into a narrower full
    /// push; for every other proxy that part is only an endpoint change.
    /// </summary>
    public PushRequest For(ProxyNode proxy)
    {
        if (FullForProxiesAt.IsEmpty)
        {
            return this;
        }

        if (proxy.IpAddresses.Any(FullForProxiesAt.Contains))
        {
            // Full with no named configs and no service reason: everything, for this proxy only.
            return this with { Full = true, ConfigsUpdated = ImmutableHashSet<string>.Empty, FullForProxiesAt = ImmutableHashSet<string>.Empty };
        }

        return this with { FullForProxiesAt = ImmutableHashSet<string>.Empty, Reasons = Reasons.Remove(PushReason.Proxy) };
    }

    /// <summary>Istio's PushRequest.Merge: full if either is, the union of what changed, the earliest start.</summary>
    public PushRequest Merge(PushRequest other)
    {
        var reasons = Reasons;
        foreach (var (reason, count) in other.Reasons)
        {
            reasons = reasons.SetItem(reason, reasons.GetValueOrDefault(reason) + count);
        }

        // A full push that names no configs means "everything"; keep that meaning when merging.
        var everything = (Full && ConfigsUpdated.IsEmpty && !Reasons.ContainsKey(PushReason.Service)) || (other.Full && other.ConfigsUpdated.IsEmpty && !other.Reasons.ContainsKey(PushReason.Service));
        return new PushRequest
        {
            Full = Full || other.Full,
            ConfigsUpdated = everything ? ImmutableHashSet<string>.Empty : ConfigsUpdated.Union(other.ConfigsUpdated),
            EndpointsUpdated = EndpointsUpdated.Union(other.EndpointsUpdated),
            FullForProxiesAt = FullForProxiesAt.Union(other.FullForProxiesAt),
            Reasons = reasons,
            Start = Start <= other.Start ? Start : other.Start,
        };
    }
}
