using System.Text.Json;
using Meshwork.Config.Mesh;
using Meshwork.Config.Serialization;
using Meshwork.Config.Store;
using Prometheus;

namespace Meshwork.Meshd.Monitoring;

/// <summary>The monitoring port's endpoints (Istio's 15014): readiness, Prometheus metrics and debug views.</summary>
public static class MonitoringEndpoints
{
    private static int _metersConfigured;

    public static void Map(WebApplication app, int port)
    {
        ConfigureMeters();
        var host = $"*:{port}";
        app.MapGet("/ready", (Readiness readiness) => readiness.IsReady ? Results.Text("ready\n") : Results.Text(readiness.Reason + "\n", statusCode: 503)).RequireHost(host);
        app.MapGet("/metrics", async (HttpContext context) =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
        }).RequireHost(host);
        app.MapGet("/debug/configz", (ConfigStore store) =>
        {
            var snapshot = store.Current;
            var body = new { version = snapshot.Version, resources = snapshot.Resources.Values.Select(ConfigJson.Describe) };
            return Results.Text(JsonSerializer.Serialize(body, ConfigJson.Options), "application/json");
        }).RequireHost(host);
        app.MapGet("/debug/mesh", (MeshConfig mesh) => Results.Text(JsonSerializer.Serialize(mesh, ConfigJson.Options), "application/json")).RequireHost(host);
        app.MapGet("/debug/list", () => Results.Text(string.Join("\n", "/ready", "/metrics", "/debug/configz", "/debug/mesh", "/debug/syncz", "/debug/adsz", "/debug/registryz", "/debug/config_dump?proxyID=") + "\n")).RequireHost(host);
    }

    /// <summary>
    /// prometheus-net republishes every .NET meter; Kestrel's memory-pool meter records each buffer
    /// rented and returned, which cost a tenth of meshd's CPU while it pushed to 1000 proxies. The
    /// pool's sizes are in the GC and process metrics already.
    /// </summary>
    private static void ConfigureMeters()
    {
        if (Interlocked.Exchange(ref _metersConfigured, 1) == 0)
        {
            Metrics.ConfigureMeterAdapter(o => o.InstrumentFilterPredicate = instrument => instrument.Meter.Name != "Microsoft.AspNetCore.MemoryPool");
        }
    }
}
