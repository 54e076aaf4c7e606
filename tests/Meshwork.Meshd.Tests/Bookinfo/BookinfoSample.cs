using Meshwork.Meshd.Tests.DataPath;

namespace Meshwork.Meshd.Tests.Bookinfo;

/// <summary>
/// The Bookinfo sample as a user runs it by hand: meshd with samples/bookinfo/config and Istio's
/// destination-rule-all.yaml, and every service (productpage, details, reviews v1/v2/v3, ratings)
/// started by <c>meshctl run</c> with its sidecar on its own loopback address. Sidecars write
/// Istio's access log to their log files (MeshConfig accessLogFile), which the tests read.
/// </summary>
public sealed class BookinfoSample : IAsyncLifetime
{
    private readonly List<MeshctlRun> _runs = [];

    public MeshHarness Mesh { get; private set; } = null!;

    public string Logs { get; } = Directory.CreateTempSubdirectory("bookinfo-logs-").FullName;

    public MeshctlRun ProductPage => Run("productpage-v1");

    public MeshctlRun Run(string name) => _runs.Single(r => r.ProxyLog.EndsWith(name + ".sidecar.log", StringComparison.Ordinal));

    public async Task InitializeAsync()
    {
        Mesh = await MeshHarness.StartWithMeshConfigAsync(
            "accessLogFile: /dev/stdout\n",
            ("services.yaml", await File.ReadAllTextAsync(Path.Combine(FindRepo(), "samples", "bookinfo", "config", "services.yaml"))),
            ("destination-rule-all.yaml", await File.ReadAllTextAsync(Path.Combine(BookinfoMesh.Networking, "destination-rule-all.yaml"))));
        (string Name, string Labels, string[] Args)[] workloads =
        [
            ("productpage-v1", "app=productpage,version=v1", ["productpage"]),
            ("details-v1", "app=details,version=v1", ["details"]),
            ("reviews-v1", "app=reviews,version=v1", ["reviews", "--version", "v1"]),
            ("reviews-v2", "app=reviews,version=v2", ["reviews", "--version", "v2"]),
            ("reviews-v3", "app=reviews,version=v3", ["reviews", "--version", "v3"]),
            ("ratings-v1", "app=ratings,version=v1", ["ratings"]),
        ];
        foreach (var (name, labels, args) in workloads)
        {
            _runs.Add(MeshctlRun.Start(Logs, name, ["--labels", labels, "--port", "9080", "--meshd", $"127.0.0.1:{Mesh.Meshd.XdsPort}"], ["dotnet", MeshctlRun.BookinfoDll, .. args]));
        }

        await Task.WhenAll(_runs.Select(r => r.WaitStartedAsync()));
    }

    /// <summary>
    /// Puts Istio's routing file <paramref name="sample"/> in force alone and waits until every sidecar has
    /// applied it: a rule for ratings acts in the reviews sidecars, not in productpage's.
    /// </summary>
    public Task ApplyAsync(string sample, string marker, params string[] absent) =>
        BookinfoMesh.ApplySampleAsync(Mesh, _runs.Select(r => r.Admin("/config_dump")).ToList(), sample, marker, absent);

    /// <summary>GETs productpage's page through its sidecar (the service port on its pod IP), as a browser would; not 2xx throws.</summary>
    public async Task<string> PageAsync(HttpClient http, string? user = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{ProductPage.Ip}:9080/productpage");
        if (user != null)
        {
            request.Headers.Add("Cookie", "user=" + user);
        }

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        // Thrown as a transport failure so that waits retry it: the app may still be starting.
        return response.IsSuccessStatusCode ? body : throw new HttpRequestException($"{(int)response.StatusCode} {body}");
    }

    /// <summary>Which reviews version rendered the page: stars in red (v3), black (v2), or none (v1).</summary>
    public static string ReviewsVersion(string page) =>
        page.Contains("class=\"stars\" style=\"color: red\"", StringComparison.Ordinal) ? "v3"
        : page.Contains("class=\"stars\" style=\"color: black\"", StringComparison.Ordinal) ? "v2"
        : page.Contains("Book Reviews", StringComparison.Ordinal) ? "v1"
        : "error";

    public string Diagnostics() => string.Join("\n", _runs.Select(r => $"--- {r.ProxyLog}{(r.HasExited ? $" (meshctl exited with {r.ExitCode})" : string.Empty)} ---\n{r.Output}\n{Tail(r.SidecarOutput)}")) + "\n--- meshd ---\n" + Mesh.Meshd.Output;

    public async Task DisposeAsync()
    {
        await Task.WhenAll(_runs.Select(async r => await r.DisposeAsync()));
        await Mesh.DisposeAsync();
        Directory.Delete(Logs, recursive: true);
    }

    private static string Tail(string text) => text.Length > 3000 ? text[^3000..] : text;

    private static string FindRepo()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Meshwork.sln")))
        {
            dir = dir.Parent;
        }

        return dir!.FullName;
    }
}
