using Meshwork.Config.Networking;
using Meshwork.Config.Resources;
using Meshwork.Config.Validation;
using Meshwork.Registry.Model;

namespace Meshwork.Registry.ServiceEntries;

/// <summary>
/// WorkloadEntry resources and inline ServiceEntry endpoints onto <see cref="WorkloadInstance"/>,
/// as Istio's convertWorkloadEntryToWorkloadInstance and convertEndpoint read them. Pure.
/// </summary>
public static class WorkloadEntryConverter
{
    /// <summary>A WorkloadEntry resource: metadata labels merged over spec labels; unhealthy when health checks are on (no probe has reported it healthy).</summary>
    public static WorkloadInstance FromResource(ConfigResource resource)
    {
        var entry = resource.SpecAs<WorkloadEntry>();
        var labels = IstioLabels.Merge(entry.Labels, resource.Metadata.Labels);
        return FromSpec(entry with { Labels = labels }, resource.Name, resource.Namespace) with
        {
            Health = HealthChecksEnabled(resource) ? WorkloadHealth.Unhealthy : WorkloadHealth.Healthy,
        };
    }

    /// <summary>One WorkloadEntry spec (a resource's, or an endpoint inline in a ServiceEntry named <paramref name="name"/>).</summary>
    public static WorkloadInstance FromSpec(WorkloadEntry entry, string name, string @namespace) => new()
    {
        Name = name,
        Namespace = @namespace,
        Address = entry.Address,
        Labels = entry.Labels,
        Ports = entry.Ports,
        ServiceAccount = entry.ServiceAccount,
        Network = entry.Network,
        Locality = IstioLabels.LocalityOf(entry.Locality, entry.Labels),
        Weight = entry.Weight == 0 ? 1 : entry.Weight,
        TlsMode = IstioLabels.TlsModeOf(entry.Labels, entry.ServiceAccount),
        Health = WorkloadHealth.Healthy,
        Source = WorkloadSource.WorkloadEntry,
    };

    /// <summary>
    /// Istio's DNSServiceEntryOnly: a workload addressed by a DNS name or a unix socket can only back a
    /// DNS-resolved service (only there does the proxy resolve or dial it as written).
    /// </summary>
    public static bool IsDnsServiceOnly(WorkloadInstance workload) =>
        workload.IsUnixSocket || (workload.Address.Length > 0 && !Checks.IsIpAddress(workload.Address));

    /// <summary>Istio reads the annotation with Go's ParseBool; anything unparsable means off.</summary>
    private static bool HealthChecksEnabled(ConfigResource resource) =>
        resource.Metadata.Annotations.TryGetValue(IstioLabels.HealthChecksEnabledAnnotation, out var value)
        && value is "1" or "t" or "T" or "true" or "TRUE" or "True";
}
