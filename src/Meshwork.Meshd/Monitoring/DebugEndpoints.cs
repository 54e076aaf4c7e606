using System.Text;
using System.Text.Json;
using Meshwork.Config.Serialization;
using Meshwork.Pilot.Generators;
using Meshwork.Pilot.Xds;
using Meshwork.Registry.Publishing;
using Meshwork.Xds.Protos;

namespace Meshwork.Meshd.Monitoring;

/// <summary>Istio's Pilot debug views: sync status, ADS connections, the registry and a proxy's generated config.</summary>
public static class DebugEndpoints
{
    private static readonly string[] Types = [TypeUrls.Cluster, TypeUrls.Listener, TypeUrls.Endpoint, TypeUrls.Route];

    public static void Map(WebApplication app, string host)
    {
        app.MapGet("/debug/syncz", (DiscoveryServer server) => Json(server.Connections.OrderBy(c => c.Proxy.Id, StringComparer.Ordinal).Select(c => new
        {
            proxy = c.Proxy.Id,
            connectionId = c.Id,
            delta = c.Delta,
            types = Types.ToDictionary(TypeUrls.Short, t => Status(c, t)),
        }))).RequireHost(host);

        app.MapGet("/debug/adsz", (DiscoveryServer server) => Json(new
        {
            totalClients = server.Connections.Count,
            clients = server.Connections.OrderBy(c => c.Proxy.Id, StringComparer.Ordinal).Select(c => new
            {
                connectionId = c.Id,
                connectedAt = c.ConnectedAt,
                proxy = c.Proxy,
                watches = c.Watched.Values.ToDictionary(w => TypeUrls.Short(w.TypeUrl), w => new { wildcard = w.Wildcard, names = w.Names.Order(StringComparer.Ordinal).ToArray() }),
            }),
        })).RequireHost(host);

        app.MapGet("/debug/registryz", (MeshRegistry registry) =>
        {
            var snapshot = registry.Current;
            return Json(new { version = snapshot.Version, services = snapshot.Services, endpoints = snapshot.Endpoints, workloads = snapshot.Workloads });
        }).RequireHost(host);

        app.MapGet("/debug/config_dump", (string? proxyID, DiscoveryServer server, IEnumerable<IResourceGenerator> generators) =>
        {
            var connection = proxyID == null ? null : server.Find(proxyID);
            if (connection == null)
            {
                return Results.Text($"no connected proxy with id \"{proxyID}\"; see /debug/syncz\n", statusCode: 404);
            }

            var sb = new StringBuilder("{\n  \"configs\": [\n");
            var first = true;
            foreach (var generator in generators.OrderBy(g => Array.IndexOf(Types, g.TypeUrl)))
            {
                var watch = connection.Watched.GetValueOrDefault(generator.TypeUrl);
                foreach (var resource in generator.Generate(server.Snapshot, connection.Proxy, watch?.Requested))
                {
                    sb.Append(first ? string.Empty : ",\n").Append(XdsJson.Format(resource.Resource));
                    first = false;
                }
            }

            return Results.Text(sb.Append("\n  ]\n}\n").ToString(), "application/json");
        }).RequireHost(host);
    }

    /// <summary>Istio's proxy-status words: SYNCED when the last response was ACKed, STALE when not yet, NOT SENT when nothing went out.</summary>
    private static object Status(XdsConnection connection, string typeUrl)
    {
        if (!connection.Watched.TryGetValue(typeUrl, out var watch) || watch.NonceSent.Length == 0)
        {
            return new { status = "NOT SENT" };
        }

        var status = watch.LastNack != null ? "NACKED" : watch.NonceAcked == watch.NonceSent ? "SYNCED" : "STALE";
        return new { status, versionSent = watch.VersionSent, versionAcked = watch.VersionAcked, nonceSent = watch.NonceSent, nonceAcked = watch.NonceAcked, error = watch.LastNack };
    }

    private static IResult Json(object value) => Results.Text(JsonSerializer.Serialize(value, ConfigJson.Options), "application/json");
}
