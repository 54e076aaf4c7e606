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

    /// <summary>Envoy's address shape (<c>{"socket_address": {"address", "port_value"}}</c>), which istioctl reads; anything not HOST:PORT stays a pipe name.</summary>
    private static object SocketAddress(string address)
    {
        var colon = address.LastIndexOf(':');
        return colon > 0 && int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            ? new { socket_address = new { address = address[..colon].Trim('[', ']'), port_value = port } }
            : new { pipe = new { path = address } };
    }

    /// <summary>Envoy's <c>/clusters?format=json</c>, in the shape istioctl's endpoint view reads.</summary>
    public static string Json(ClusterSet clusters) => JsonSerializer.Serialize(new
    {
        cluster_statuses = clusters.Clusters.OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => new
        {
            name = c.Name,
            host_statuses = c.DescribeEndpoints().Select(h => new
            {
                address = SocketAddress(h.Address),
                health_status = new { eds_health_status = h.HealthFlags.Contains("eds_health", StringComparison.Ordinal) ? "UNHEALTHY" : "HEALTHY", failed_outlier_check = h.HealthFlags.Contains("failed_outlier_check", StringComparison.Ordinal) },
                weight = h.Weight,
                locality = h.Locality,
                priority = h.Priority,
                stats = new object[]
                {
                    new { name = "cx_active", type = "GAUGE", value = h.CxActive.ToString(CultureInfo.InvariantCulture) },
                    new { name = "rq_active", type = "GAUGE", value = h.RqActive.ToString(CultureInfo.InvariantCulture) },
                    new { name = "rq_error", type = "COUNTER", value = h.RqError.ToString(CultureInfo.InvariantCulture) },
                    new { name = "rq_total", type = "COUNTER", value = h.RqTotal.ToString(CultureInfo.InvariantCulture) },
                },
            }),
        }),
    });
}
