using System.Collections.Immutable;

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

    public ImmutableDictionary<PushReason, int> Reasons { get; init; } = ImmutableDictionary<PushReason, int>.Empty;

    /// <summary>When the first event merged into this request happened, for convergence metrics.</summary>
    public DateTimeOffset Start { get; init; }

    public static PushRequest ForConfig(IEnumerable<string> keys, DateTimeOffset now) =>
        new() { Full = true, ConfigsUpdated = keys.ToImmutableHashSet(), Reasons = ImmutableDictionary<PushReason, int>.Empty.Add(PushReason.Config, 1), Start = now };

    public static PushRequest ForEndpoints(IEnumerable<string> hosts, DateTimeOffset now) =>
        new() { EndpointsUpdated = hosts.ToImmutableHashSet(), Reasons = ImmutableDictionary<PushReason, int>.Empty.Add(PushReason.Endpoint, 1), Start = now };

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
            Reasons = reasons,
            Start = Start <= other.Start ? Start : other.Start,
        };
    }
}
