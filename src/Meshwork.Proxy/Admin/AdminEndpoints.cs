using System.Text;
using Google.Protobuf;
using Meshwork.Proxy.Xds;
using Meshwork.Xds.Protos;

namespace Meshwork.Proxy.Admin;

/// <summary>The admin API on loopback (Envoy's 15000): readiness, the applied config, and a way to stop.</summary>
public static class AdminEndpoints
{
    public static void Map(WebApplication app, int port)
    {
        var host = $"*:{port}";
        app.MapGet("/ready", (ConfigHolder holder) => holder.HasConfig ? Results.Text("LIVE\n") : Results.Text("PRE_INITIALIZING: no config from meshd yet\n", statusCode: 503)).RequireHost(host);
        app.MapGet("/config_dump", (ConfigHolder holder) => Results.Text(ConfigDump(holder.Current), "application/json")).RequireHost(host);
        app.MapPost("/quitquitquit", (IHostApplicationLifetime lifetime) =>
        {
            lifetime.StopApplication();
            return Results.Text("OK\n");
        }).RequireHost(host);
    }

    /// <summary>Envoy-style config dump: per type, the version accepted and each resource with its own version.</summary>
    public static string ConfigDump(AppliedConfig config)
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
                sb.Append(first ? "\n" : ",\n").Append("      {\"name\": ").Append(System.Text.Json.JsonSerializer.Serialize(name))
                    .Append(", \"version\": \"").Append(version).Append("\", \"resource\": ").Append(XdsJson.Format(resource)).Append('}');
                first = false;
            }

            sb.Append(first ? "]}" : "\n    ]}");
        }

        return sb.Append("\n  ]\n}\n").ToString();
    }
}
