using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Meshwork.Config.Networking;
using Meshwork.Config.Values;
using Meshwork.Pilot.Generators.Endpoints;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Generators.LocalityLoadBalancing;

/// <summary>
/// Locality load balancing for one proxy (Istio's ApplyLocalityLoadBalancer and the cluster's
/// applyLocalityLoadBalancer): <c>distribute</c> sets locality weights; otherwise, with outlier
/// detection only, <c>failoverPriority</c> and/or locality failover set priorities. The endpoints
/// are the proxy's own copy, so ranking them relative to the proxy is safe.
/// </summary>
public static class LocalityLoadBalancer
{
    /// <summary>The inputs a cluster's locality load balancing depends on, besides its endpoints.</summary>
    public sealed record Inputs(LocalityLoadBalancerSetting Setting, bool EnableFailover, WorkloadLocality ProxyLocality, ValueMap<string, string> ProxyLabels)
    {
        /// <summary>Null when locality load balancing is off for the cluster (see <see cref="LocalityLbSettings"/>).</summary>
        public static Inputs? For(MeshSnapshot snapshot, ProxyNode proxy, TrafficPolicy? policy) =>
            LocalityLbSettings.For(snapshot.Mesh, policy?.LoadBalancer) is { } setting
                ? new Inputs(setting, LocalityLbSettings.EnablesFailover(policy), proxy.Locality, proxy.TopologyLabels)
                : null;
    }

    /// <summary>
    /// Rewrites the assignment's weights or priorities for the proxy. <paramref name="groups"/> are
    /// the assignment's localities with their service endpoints, needed by <c>failoverPriority</c>;
    /// without them (DNS clusters, as in Istio) only region failover applies.
    /// </summary>
    public static void Apply(ClusterLoadAssignment assignment, IReadOnlyList<LocalityGroup>? groups, Inputs inputs)
    {
        var setting = inputs.Setting;
        if (!setting.Distribute.IsEmpty)
        {
            LocalityWeights.Apply(assignment, inputs.ProxyLocality, setting.Distribute);
            return;
        }

        if (!inputs.EnableFailover)
        {
            return;
        }

        if (!setting.FailoverPriority.IsEmpty)
        {
            FailoverPriorities.Apply(assignment, groups ?? [], inputs.ProxyLabels, setting.FailoverPriority);
            if (!setting.Failover.IsEmpty)
            {
                LocalityFailover.Apply(assignment, inputs.ProxyLocality, setting.Failover);
            }

            return;
        }

        LocalityFailover.Apply(assignment, inputs.ProxyLocality, setting.Failover);
    }

    /// <summary>
    /// The cluster side: Envoy weighs localities only with <c>locality_weighted_lb_config</c>, which
    /// Istio sets when weights are distributed or failover is configured and can happen (setting it
    /// always would change how LEAST_REQUEST and others pick); endpoints a DNS cluster carries
    /// inline get the same treatment as EDS ones.
    /// </summary>
    public static void ApplyToCluster(Cluster cluster, Inputs? inputs)
    {
        if (inputs == null)
        {
            return;
        }

        var setting = inputs.Setting;
        if (!setting.Distribute.IsEmpty || (inputs.EnableFailover && (!setting.Failover.IsEmpty || !setting.FailoverPriority.IsEmpty)))
        {
            (cluster.CommonLbConfig ??= new Cluster.Types.CommonLbConfig()).LocalityWeightedLbConfig = new Cluster.Types.CommonLbConfig.Types.LocalityWeightedLbConfig();
        }

        if (cluster.LoadAssignment != null)
        {
            Apply(cluster.LoadAssignment, null, inputs);
        }
    }
}
