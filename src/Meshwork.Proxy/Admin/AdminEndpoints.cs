using System.Text;
using Google.Protobuf;
using Meshwork.Proxy.Listeners;
using Meshwork.Proxy.Runtime;
using Meshwork.Proxy.Security;
using Meshwork.Proxy.Stats;
using Meshwork.Proxy.Xds;
using Meshwork.Xds.Protos;

namespace Meshwork.Proxy.Admin;

/// <summary>The admin API on loopback (Envoy's 15000): readiness, the applied config and secrets, certificates, clusters, listeners, stats, memory, log levels, and a way to stop.</summary>
public static class AdminEndpoints
{
    public static void Map(WebApplication app, ProxyOptions options, DrainState draining)
    {
        var admin = $"*:{options.AdminPort}";
        app.MapGet("/ready", (ConfigHolder holder, ListenerHost listeners) => Readiness(holder, listeners, draining)).RequireHost(admin);
        app.MapGet("/config_dump", (ConfigHolder holder, SecretStore secrets) => Results.Text(ConfigDump(holder.Current, secrets), "application/json")).RequireHost(admin);
        app.MapGet("/certs", (SecretStore secrets, TimeProvider time) => Results.Text(SecretsView.Certs(secrets, time), "application/json")).RequireHost(admin);
        app.MapGet("/clusters", (DataPlane plane, string? format) => format == "json"
            ? Results.Text(ClustersView.Json(plane.Clusters), "application/json")
            : Results.Text(ClustersView.Text(plane.Clusters))).RequireHost(admin);
        app.MapGet("/listeners", (ListenerHost host, string? format) => format == "json"
            ? Results.Text(ListenersJson(host), "application/json")
            : Results.Text(string.Concat(host.State.Select(l => $"{l.Name}::{l.Address}{(l.Problem != null ? "::" + l.Problem : string.Empty)}\n")))).RequireHost(admin);
        app.MapGet("/stats", (StatsStore stats, string? filter, string? format) => format == "json"
            ? Results.Text(StatsJson(stats), "application/json")
            : Results.Text(stats.RenderText(filter))).RequireHost(admin);
        app.MapGet("/stats/prometheus", (MetricsEndpoint metrics) => Results.Text(metrics.Render(), MetricsEndpoint.ContentType)).RequireHost(admin);
        app.MapGet("/memory", () => Results.Text(MemoryView.Json(), "application/json")).RequireHost(admin);
        app.MapGet("/logging", (LogLevels levels) => Results.Text(LoggingText(levels))).RequireHost(admin);
        app.MapPost("/logging", (HttpRequest request, LogLevels levels) =>
        {
            string? problem = null;
            foreach (var (key, value) in request.Query)
            {
                var ok = key == "level" ? levels.TrySet(null, value.ToString(), out problem) : levels.TrySet(key, value.ToString(), out problem);
                if (!ok)
                {
                    return Results.Text(problem + "\n", statusCode: StatusCodes.Status400BadRequest);
                }
            }

            return Results.Text(LoggingText(levels));
        }).RequireHost(admin);
        app.MapPost("/quitquitquit", (IHostApplicationLifetime lifetime) =>
        {
            lifetime.StopApplication();
            return Results.Text("OK\n");
        }).RequireHost(admin);

        // Istio's status port (pilot-agent's 15020): readiness and the proxy's metrics merged with the app's, on the workload's address.
        var status = $"*:{options.StatusPort}";
        app.MapGet("/healthz/ready", (ConfigHolder holder, ListenerHost listeners) => Readiness(holder, listeners, draining)).RequireHost(status);
        app.MapGet("/stats/prometheus", async (MetricsEndpoint metrics, CancellationToken cancellationToken) => Results.Text(await metrics.RenderMergedAsync(cancellationToken), MetricsEndpoint.ContentType)).RequireHost(status);
    }

    /// <summary>As Envoy's: LIVE once the first listeners and clusters are in force and the listeners have been bound (not merely received).</summary>
    private static IResult Readiness(ConfigHolder holder, ListenerHost listeners, DrainState draining) =>
        draining.IsDraining ? Results.Text("DRAINING\n", statusCode: StatusCodes.Status503ServiceUnavailable)
        : !holder.HasConfig ? Results.Text("PRE_INITIALIZING: no config from meshd yet\n", statusCode: StatusCodes.Status503ServiceUnavailable)
        : listeners.HasBound ? Results.Text("LIVE\n")
        : Results.Text("INITIALIZING: binding listeners\n", statusCode: StatusCodes.Status503ServiceUnavailable);

    private static string ListenersJson(ListenerHost host) => JsonText.Write(w =>
    {
        w.WriteStartArray();
        foreach (var listener in host.State)
        {
            w.WriteStartObject();
            w.WriteString("name", listener.Name);
            w.WriteString("address", listener.Address.ToString());
            w.WriteString("error", listener.Problem);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    private static string StatsJson(StatsStore stats) => JsonText.Write(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("stats");
        foreach (var stat in stats.Snapshot())
        {
            w.WriteStartObject();
            w.WriteString("name", stat.Key.FullName);
            w.WriteNumber("value", stat.Value);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    });

    private static string LoggingText(LogLevels levels) =>
        "active loggers:\n" + string.Concat(levels.Current().Select(l => $"  {l.Name}: {LogLevels.Format(l.Level)}\n"));

    /// <summary>Envoy-style config dump: per type, the version accepted and each resource with its own version.</summary>
    public static string ConfigDump(AppliedConfig config, SecretStore? secrets = null)
    {
        var sb = new StringBuilder("{\n  \"configs\": [\n");
        var sections = new (string Type, IEnumerable<(string Name, string Version, IMessage Resource)> Items)[]
        {
            (ConfigApplier.ListenerType, config.Listeners.Values.Select(r => (r.Name, r.Version, (IMessage)r.Resource))),
            (ConfigApplier.RouteType, config.Routes.Values.Select(r => (r.Name, r.Version, (IMessage)r.Resource))),
            (ConfigApplier.ClusterType, config.Clusters.Values.Select(r => (r.Name, r.Version, (IMessage)r.Resource))),
            (ConfigApplier.EndpointType, config.Endpoints.Values.Select(r => (r.Name, r.Version, (IMessage)r.Resource))),
        };
        var firstSection = true;
        foreach (var (type, items) in sections)
        {
            sb.Append(firstSection ? string.Empty : ",\n").Append("    {\"type\": \"").Append(type).Append("\", \"version\": \"")
                .Append(config.Versions.GetValueOrDefault(type, string.Empty)).Append("\", \"resources\": [");
            firstSection = false;
            var first = true;
            foreach (var (name, version, resource) in items)
            {
                sb.Append(first ? "\n" : ",\n").Append("      {\"name\": ").Append(JsonText.Quote(name))
                    .Append(", \"version\": \"").Append(version).Append("\", \"resource\": ").Append(XdsJson.Format(resource)).Append('}');
                first = false;
            }

            sb.Append(first ? "]}" : "\n    ]}");
        }

        if (secrets?.IsActive == true)
        {
            sb.Append(",\n    ").Append(JsonText.Write(w => SecretsView.WriteConfigDump(w, secrets)));
        }

        return sb.Append("\n  ]\n}\n").ToString();
    }
}
