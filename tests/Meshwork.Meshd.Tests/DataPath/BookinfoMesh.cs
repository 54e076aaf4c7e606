namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>
/// Bookinfo's services on the mesh as plain test apps that say who they are: reviews v1/v2/v3,
/// ratings v1, details v1, and productpage's sidecar as the caller, with Istio's own
/// destination-rule-all.yaml in force. Tests apply Istio's routing-task files on top.
/// </summary>
public sealed class BookinfoMesh : IAsyncLifetime
{
    public static string Networking { get; } = Path.Combine(MeshdProcess.SharedSamples, "bookinfo", "networking");

    public MeshHarness Mesh { get; private set; } = null!;

    public ProxyProcess ProductPage { get; private set; } = null!;

    public ProxyProcess Ratings { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var services = string.Join("---\n", new[] { "productpage", "details", "reviews", "ratings" }.Select(s => $"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {"{"}name: {s}, namespace: default{"}"}
            spec:
              hosts: [{s}.default.svc.cluster.local]
              location: MESH_INTERNAL
              ports: [{"{"}number: 9080, name: http, protocol: HTTP{"}"}]
              resolution: STATIC
              workloadSelector: {"{"}labels: {"{"}app: {s}{"}"}{"}"}

            """));
        Mesh = await MeshHarness.StartAsync(
            ("services.yaml", services),
            ("destination-rule-all.yaml", await File.ReadAllTextAsync(Path.Combine(Networking, "destination-rule-all.yaml"))));
        var workloads = await Task.WhenAll(
            Mesh.AddWorkloadAsync("reviews-v1", "default", "app=reviews,version=v1"),
            Mesh.AddWorkloadAsync("reviews-v2", "default", "app=reviews,version=v2"),
            Mesh.AddWorkloadAsync("reviews-v3", "default", "app=reviews,version=v3"),
            Mesh.AddWorkloadAsync("ratings-v1", "default", "app=ratings,version=v1"),
            Mesh.AddWorkloadAsync("details-v1", "default", "app=details,version=v1"));
        Ratings = workloads[3].Proxy;
        ProductPage = await Mesh.AddClientAsync("productpage-v1", "default", "app=productpage,version=v1");
    }

    /// <summary>
    /// Puts one of Istio's sample files in force (replacing the previous routing file) and waits until
    /// productpage's sidecar has applied it: its route tables contain <paramref name="marker"/> and
    /// none of <paramref name="absent"/> (what the previous files left).
    /// </summary>
    public Task ApplySampleAsync(string sample, string marker, params string[] absent) =>
        ApplySampleAsync(Mesh, ProductPage.Admin("/config_dump"), sample, marker, absent);

    /// <summary>As above, for any mesh: the sidecar whose <paramref name="configDump"/> is watched is the caller's.</summary>
    public static Task ApplySampleAsync(MeshHarness mesh, Uri configDump, string sample, string marker, params string[] absent) =>
        ApplySampleAsync(mesh, [configDump], sample, marker, absent);

    /// <summary>As above, waiting for every sidecar in <paramref name="configDumps"/>: a rule may act in another hop than the caller's.</summary>
    public static async Task ApplySampleAsync(MeshHarness mesh, IReadOnlyList<Uri> configDumps, string sample, string marker, params string[] absent)
    {
        foreach (var old in Directory.GetFiles(mesh.ConfigDirectory, "virtual-service-*.yaml"))
        {
            File.Delete(old);
        }

        await mesh.ApplyAsync(sample, await File.ReadAllTextAsync(Path.Combine(Networking, sample)));
        using var http = new HttpClient();
        foreach (var configDump in configDumps)
        {
            var dump = string.Empty;
            await MeshHarness.Eventually(
                async () =>
                {
                    dump = await http.GetStringAsync(configDump);
                    var routes = dump[dump.IndexOf("RouteConfiguration", StringComparison.Ordinal)..dump.IndexOf("envoy.config.cluster.v3.Cluster", StringComparison.Ordinal)];
                    return routes.Contains(marker, StringComparison.Ordinal) && !absent.Any(a => routes.Contains(a, StringComparison.Ordinal));
                },
                $"{sample} applied by the sidecar at {configDump}",
                () => dump);
        }
    }

    public async Task DisposeAsync() => await Mesh.DisposeAsync();
}
