using System.Net;
using System.Text.Json;

namespace Meshwork.Meshd.Tests;

public sealed class MeshdTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meshd-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Rule = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: reviews
          namespace: shop
        spec:
          host: reviews
          subsets:
          - name: v1
            labels: {version: v1}
        """;

    private async Task<JsonElement> ConfigzAsync(MeshdProcess meshd) =>
        JsonDocument.Parse(await meshd.Http.GetStringAsync(meshd.Monitoring("/debug/configz"))).RootElement;

    [Fact]
    public async Task Start_LoadsConfigDirAndBecomesReady()
    {
        File.WriteAllText(Path.Combine(_dir, "rule.yaml"), Rule);
        await using var meshd = MeshdProcess.Start("--config-dir", _dir);

        await meshd.WaitReadyAsync();

        var configz = await ConfigzAsync(meshd);
        var resource = Assert.Single(configz.GetProperty("resources").EnumerateArray());
        Assert.Equal("DestinationRule", resource.GetProperty("kind").GetString());
        Assert.Equal("rule.yaml:1", resource.GetProperty("source").GetString());
        Assert.Contains("config loaded: 1 resources from 1 directories", meshd.Output);
    }

    [Fact]
    public async Task BadFile_IsLoggedWithFileAndLine_AndLastGoodStays()
    {
        var file = Path.Combine(_dir, "rule.yaml");
        File.WriteAllText(file, Rule);
        await using var meshd = MeshdProcess.Start("--config-dir", _dir);
        await meshd.WaitReadyAsync();

        File.WriteAllText(file, Rule.Replace("name: v1\n", "name: v1\n    trafficPolicy: {loadBalancer: {simple: SOMETIMES}}\n"));

        await meshd.WaitForOutputAsync($"config rejected (last good version stays): {Path.Join(_dir, "rule.yaml")}:10: DestinationRule shop/reviews: spec.subsets[0].trafficPolicy.loadBalancer.simple: unknown value \"SOMETIMES\"");
        var configz = await ConfigzAsync(meshd);
        Assert.Single(configz.GetProperty("resources").EnumerateArray());
        Assert.Equal(HttpStatusCode.OK, (await meshd.Http.GetAsync(meshd.Monitoring("/ready"))).StatusCode);
    }

    [Fact]
    public async Task Sigterm_StopsGracefullyWithExitZero()
    {
        await using var meshd = MeshdProcess.Start("--config-dir", _dir);
        await meshd.WaitReadyAsync();

        Assert.True(await meshd.TerminateAsync(TimeSpan.FromSeconds(15)), "meshd did not stop on SIGTERM:\n" + meshd.Output);
        Assert.Equal(0, meshd.ExitCode);
        Assert.Contains("meshd stopping", meshd.Output);
    }

    [Fact]
    public async Task Metrics_AreServedInPrometheusFormat()
    {
        await using var meshd = MeshdProcess.Start();
        await meshd.WaitReadyAsync();

        var metrics = await meshd.Http.GetStringAsync(meshd.Monitoring("/metrics"));

        Assert.Contains("# TYPE ", metrics);
    }

    [Fact]
    public async Task MeshConfig_IsReadAndShown()
    {
        var mesh = Path.Combine(_dir, "mesh.yaml");
        File.WriteAllText(mesh, "trustDomain: example.org\naccessLogFile: /dev/stdout\nenablePrometheusMerge: true\n");
        await using var meshd = MeshdProcess.Start("--mesh-config", mesh);
        await meshd.WaitReadyAsync();

        var shown = JsonDocument.Parse(await meshd.Http.GetStringAsync(meshd.Monitoring("/debug/mesh"))).RootElement;

        Assert.Equal("example.org", shown.GetProperty("trustDomain").GetString());
        Assert.Contains("\"enablePrometheusMerge\" is not used by Meshwork; ignored", meshd.Output);
    }

    [Theory]
    [InlineData(new[] { "--xds-address", "nope" }, "meshd: \"nope\" is not an address of the form IP:PORT")]
    [InlineData(new[] { "--config-dir", "/no/such/dir" }, "meshd: --config-dir \"/no/such/dir\": no such directory")]
    [InlineData(new[] { "--bogus" }, "meshd: Unrecognized command or argument '--bogus'.")]
    public async Task BadFlags_ExitTwoWithOneLine(string[] args, string expected)
    {
        var (exit, output) = await MeshdProcess.RunToExitAsync(args);

        Assert.Equal(2, exit);
        Assert.StartsWith(expected, output.Trim());
        Assert.Single(output.Trim().Split('\n'));
    }

    [Fact]
    public async Task InvalidMeshConfig_ExitsOneWithLocatedErrors()
    {
        var mesh = Path.Combine(_dir, "mesh.yaml");
        File.WriteAllText(mesh, "trustDomain: example.org\nconnectTimeout: 2x\n");

        var (exit, output) = await MeshdProcess.RunToExitAsync("--mesh-config", mesh, "--xds-address", "127.0.0.1:0", "--monitoring-address", "127.0.0.1:0");

        Assert.Equal(1, exit);
        Assert.Contains($"{mesh}:2: MeshConfig: connectTimeout: expected a duration such as 1.5s or 100ms, got a string 2x", output);
    }
}
