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
    private static void WriteAddress(Utf8JsonWriter w, string address)
    {
        var colon = address.LastIndexOf(':');
        w.WriteStartObject("address");
        if (colon > 0 && int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            w.WriteStartObject("socket_address");
            w.WriteString("address", address[..colon].Trim('[', ']'));
            w.WriteNumber("port_value", port);
        }
        else
        {
            w.WriteStartObject("pipe");
            w.WriteString("path", address);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteStat(Utf8JsonWriter w, string name, string type, long value)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("type", type);
        w.WriteString("value", value.ToString(CultureInfo.InvariantCulture));
        w.WriteEndObject();
    }

    /// <summary>Envoy's <c>/clusters?format=json</c>, in the shape istioctl's endpoint view reads.</summary>
    public static string Json(ClusterSet clusters) => JsonText.Write(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("cluster_statuses");
        foreach (var cluster in clusters.Clusters.OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            w.WriteStartObject();
            w.WriteString("name", cluster.Name);
            w.WriteStartArray("host_statuses");
            foreach (var h in cluster.DescribeEndpoints())
            {
                w.WriteStartObject();
                WriteAddress(w, h.Address);
                w.WriteStartObject("health_status");
                w.WriteString("eds_health_status", h.HealthFlags.Contains("eds_health", StringComparison.Ordinal) ? "UNHEALTHY" : "HEALTHY");
                w.WriteBoolean("failed_outlier_check", h.HealthFlags.Contains("failed_outlier_check", StringComparison.Ordinal));
                w.WriteEndObject();
                w.WriteNumber("weight", h.Weight);
                w.WriteString("locality", h.Locality);
                w.WriteNumber("priority", h.Priority);
                w.WriteStartArray("stats");
                WriteStat(w, "cx_active", "GAUGE", h.CxActive);
                WriteStat(w, "rq_active", "GAUGE", h.RqActive);
                WriteStat(w, "rq_error", "COUNTER", h.RqError);
                WriteStat(w, "rq_total", "COUNTER", h.RqTotal);
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    });
}
