using System.Globalization;
using System.Text;
using System.Text.Json;
using Meshwork.Proxy.Upstream;

namespace Meshwork.Proxy.Admin;

/// <summary>Envoy's <c>/clusters</c>: per cluster its settings, per host its health and counters, so an operator sees why a request went where it did.</summary>
internal static class ClustersView
{
    public static string Text(ClusterSet clusters)
    {
        var text = new StringBuilder();
        foreach (var cluster in clusters.Clusters.OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            var name = cluster.Name;
            text.Append(name).Append("::observability_name::").Append(name).Append('\n');
            text.Append(name).Append("::default_priority::max_connections::").Append(cluster.Model.Limits.MaxConnections.ToString(CultureInfo.InvariantCulture)).Append('\n');
            text.Append(name).Append("::default_priority::max_pending_requests::").Append(cluster.Model.Limits.MaxPendingRequests.ToString(CultureInfo.InvariantCulture)).Append('\n');
            text.Append(name).Append("::default_priority::max_requests::").Append(cluster.Model.Limits.MaxRequests.ToString(CultureInfo.InvariantCulture)).Append('\n');
            text.Append(name).Append("::default_priority::max_retries::").Append(cluster.Model.Limits.MaxRetries.ToString(CultureInfo.InvariantCulture)).Append('\n');
            foreach (var host in cluster.DescribeEndpoints())
            {
                var prefix = $"{name}::{host.Address}::";
                text.Append(prefix).Append("cx_active::").Append(host.CxActive.ToString(CultureInfo.InvariantCulture)).Append('\n');
                text.Append(prefix).Append("rq_active::").Append(host.RqActive.ToString(CultureInfo.InvariantCulture)).Append('\n');
                text.Append(prefix).Append("rq_error::").Append(host.RqError.ToString(CultureInfo.InvariantCulture)).Append('\n');
                text.Append(prefix).Append("rq_total::").Append(host.RqTotal.ToString(CultureInfo.InvariantCulture)).Append('\n');
                text.Append(prefix).Append("health_flags::").Append(host.HealthFlags.Length == 0 ? "healthy" : host.HealthFlags).Append('\n');
                text.Append(prefix).Append("weight::").Append(host.Weight.ToString(CultureInfo.InvariantCulture)).Append('\n');
                text.Append(prefix).Append("region::").Append(host.Locality).Append('\n');
                text.Append(prefix).Append("priority::").Append(host.Priority.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        return text.ToString();
    }

    public static string Json(ClusterSet clusters) => JsonSerializer.Serialize(new
    {
        cluster_statuses = clusters.Clusters.OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => new
        {
            name = c.Name,
            host_statuses = c.DescribeEndpoints().Select(h => new
            {
                address = h.Address,
                health_status = new { eds_health_status = h.HealthFlags.Contains("eds_health", StringComparison.Ordinal) ? "UNHEALTHY" : "HEALTHY", failed_outlier_check = h.HealthFlags.Contains("failed_outlier_check", StringComparison.Ordinal) },
                weight = h.Weight,
                locality = h.Locality,
                priority = h.Priority,
                stats = new { rq_active = h.RqActive, rq_total = h.RqTotal, rq_error = h.RqError, cx_active = h.CxActive },
            }),
        }),
    });
}
