using System.Net;
using Meshwork.Meshd.Tests.DataPath;

namespace Meshwork.Meshd.Tests.Bookinfo;

/// <summary>
/// <c>meshctl run</c>'s life cycle with real processes: what the app is told, and that nothing it
/// started outlives it, whether it is stopped by SIGTERM, killed with SIGKILL, or its app exits.
/// </summary>
[Collection("bookinfo-sample")]
public sealed class MeshctlRunTests : IAsyncLifetime
{
    private MeshHarness _mesh = null!;
    private readonly string _logs = Directory.CreateTempSubdirectory("meshctl-run-").FullName;

    // The sidecar's inbound listener exists once a service selects the workload.
    public async Task InitializeAsync() => _mesh = await MeshHarness.StartAsync(("services.yaml", """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: ratings, namespace: default}
        spec:
          hosts: [ratings.default.svc.cluster.local]
          location: MESH_INTERNAL
          ports: [{number: 9080, name: http, protocol: HTTP}]
          resolution: STATIC
          workloadSelector: {labels: {app: ratings}}
        """));

    public async Task DisposeAsync()
    {
        await _mesh.DisposeAsync();
        Directory.Delete(_logs, recursive: true);
    }

    private MeshctlRun Start(string name, params string[] command) =>
        MeshctlRun.Start(_logs, name, ["--labels", "app=ratings", "--port", "9080", "--meshd", $"127.0.0.1:{_mesh.Meshd.XdsPort}"], command);

    private static async Task AssertGoneAsync(params int[] pids) =>
        await MeshHarness.Eventually(() => Task.FromResult(!pids.Any(MeshctlRun.IsAlive)), $"processes {string.Join(", ", pids)} gone", () => string.Join(", ", pids.Where(MeshctlRun.IsAlive)), TimeSpan.FromSeconds(20));

    [Fact]
    public async Task Sigterm_StopsAppAndSidecar_NothingLeft()
    {
        await using var run = await Start("ratings-sigterm", "dotnet", MeshctlRun.BookinfoDll, "ratings").WaitStartedAsync();
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
        {
            await MeshHarness.Eventually(async () => (await http.GetAsync($"http://{run.Ip}:9080/health")).StatusCode == HttpStatusCode.OK, "ratings through its sidecar", () => run.Output + run.SidecarOutput);
        }

        var exit = await run.SignalAndWaitAsync(15, TimeSpan.FromSeconds(30));

        Assert.Equal(0, exit);
        Assert.False(MeshctlRun.IsAlive(run.AppPid), "the app outlived meshctl");
        Assert.False(MeshctlRun.IsAlive(run.SidecarPid), "the sidecar outlived meshctl");
        await AssertGoneAsync(run.WatchdogPid);
    }

    [Fact]
    public async Task Sigkill_WatchdogStopsAppAndSidecar()
    {
        await using var run = await Start("ratings-sigkill", "dotnet", MeshctlRun.BookinfoDll, "ratings").WaitStartedAsync();

        await run.SignalAndWaitAsync(9, TimeSpan.FromSeconds(10));

        await AssertGoneAsync(run.AppPid, run.SidecarPid, run.WatchdogPid);
    }

    [Fact]
    public async Task AppExits_SidecarStops_ExitCodeIsTheApps_AppGotTheMeshEnvironment()
    {
        await using var run = Start("script", "/bin/sh", "-c", "echo \"env HTTP_PROXY=$HTTP_PROXY NO_PROXY=$NO_PROXY bind=$MESH_BIND_ADDRESS:$PORT urls=$ASPNETCORE_URLS pod=$HOSTNAME\"; exit 3");
        await run.WaitStartedAsync();

        var exit = await run.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(3, exit);
        Assert.Contains("meshctl run: script exited with 3; stopping its sidecar", run.Output, StringComparison.Ordinal);
        var app = run.Fields["app"];
        Assert.Contains($"env HTTP_PROXY=http://{run.Ip}:15001 NO_PROXY=localhost,127.0.0.1,::1 bind={app} urls=http://{app} pod=script", run.Output, StringComparison.Ordinal);
        Assert.Equal("9080", run.Fields["port"]);
        Assert.StartsWith("127.0.0.1:", app, StringComparison.Ordinal);
        await AssertGoneAsync(run.SidecarPid, run.WatchdogPid);
    }
}
