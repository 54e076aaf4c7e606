using System.Collections.Immutable;
using Meshwork.Registry.Model;

namespace Meshwork.Registry.Publishing;

/// <summary>
/// What one registry publication changed, split so Pilot can push as little as possible: a change
/// with only <see cref="EndpointsChanged"/> needs an EDS push of those clusters and nothing else.
/// </summary>
/// <param name="ServicesChanged">
/// Hostnames whose service definitions were added, removed or changed, plus services whose endpoint
/// change reaches beyond EDS, which Istio pushes in full: DNS-resolved services (Envoy's STRICT_DNS and
/// LOGICAL_DNS clusters carry their endpoints in CDS), pass-through services (whether clients send
/// mTLS depends on every endpoint having a sidecar), and services whose set of workload identities
/// changed (the SANs clients accept are in CDS).
/// </param>
/// <param name="EndpointsChanged">The (hostname, service port) endpoint sets that differ.</param>
/// <param name="WorkloadsChanged">Workloads that joined, changed or left, whether or not a service selects them.</param>
public sealed record RegistryChange(
    RegistrySnapshot Previous,
    RegistrySnapshot Current,
    ImmutableSortedSet<string> ServicesChanged,
    ImmutableSortedSet<EndpointKey> EndpointsChanged,
    ImmutableSortedSet<WorkloadKey> WorkloadsChanged)
{
    public bool IsEmpty => ServicesChanged.IsEmpty && EndpointsChanged.IsEmpty && WorkloadsChanged.IsEmpty;

    /// <summary>Endpoints moved and no service did: no listener, route or cluster needs rebuilding.</summary>
    public bool IsEndpointOnly => ServicesChanged.IsEmpty && !EndpointsChanged.IsEmpty;

    /// <summary>Compares two snapshots (see <see cref="ServicesChanged"/> for the one rule beyond equality).</summary>
    public static RegistryChange Between(RegistrySnapshot previous, RegistrySnapshot current)
    {
        var services = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var hostname in previous.Hostnames.Union(current.Hostnames, StringComparer.Ordinal))
        {
            if (!previous.ServicesFor(hostname).SequenceEqual(current.ServicesFor(hostname)))
            {
                services.Add(hostname);
            }
        }

        var endpoints = ImmutableSortedSet.CreateBuilder<EndpointKey>();
        foreach (var key in previous.EndpointKeys.Union(current.EndpointKeys))
        {
            if (!previous.EndpointsFor(key).SequenceEqual(current.EndpointsFor(key)))
            {
                endpoints.Add(key);
                if (ReachesClusters(previous, current, key))
                {
                    services.Add(key.Hostname);
                }
            }
        }

        var before = previous.Workloads.ToHashSet();
        var after = current.Workloads.ToHashSet();
        var workloads = before.Except(after).Concat(after.Except(before)).Select(w => w.Key).ToImmutableSortedSet();
        return new RegistryChange(previous, current, services.ToImmutable(), endpoints.ToImmutable(), workloads);
    }

    /// <summary>True when an endpoint change of <paramref name="key"/> changes clusters too (see <see cref="ServicesChanged"/>).</summary>
    private static bool ReachesClusters(RegistrySnapshot previous, RegistrySnapshot current, EndpointKey key)
    {
        if (previous.ServicesFor(key.Hostname).Concat(current.ServicesFor(key.Hostname)).Any(s => s.IsDnsResolved || s.Resolution == ServiceResolution.None))
        {
            return true;
        }

        return !Identities(previous.EndpointsFor(key)).SetEquals(Identities(current.EndpointsFor(key)));
    }

    private static HashSet<(string Namespace, string ServiceAccount)> Identities(IEnumerable<ServiceEndpoint> endpoints) =>
        endpoints.Where(e => e.ServiceAccount.Length > 0).Select(e => (e.WorkloadNamespace, e.ServiceAccount)).ToHashSet();

    public override string ToString() =>
        $"v{Previous.Version}->v{Current.Version}: services [{string.Join(", ", ServicesChanged)}], endpoints [{string.Join(", ", EndpointsChanged)}], workloads [{string.Join(", ", WorkloadsChanged)}]";
}
