using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Meshwork.Meshd.Tests;

/// <summary>
/// Interop with a client nobody here wrote: @grpc/grpc-js-xds, configured only by meshd over ADS,
/// calling two echo backends that a ServiceEntry registers, routed by a VirtualService.
/// </summary>
public sealed class GrpcXdsInteropTests : IAsyncLifetime
{
    private const string Host = "echo.shop.svc.cluster.local";
    private const int ServicePort = 9000;
    private readonly string _dir = Directory.CreateTempSubdirectory("meshd-interop-").FullName;
    private readonly List<NodeProcess> _backends = [];
    private MeshdProcess _meshd = null!;
    private int _v1Port;
    private int _v2Port;

    public async Task InitializeAsync()
    {
        Assert.True(NodeProcess.Available, $"@grpc/grpc-js-xds is not installed: run 'npm ci --prefix {NodeProcess.Directory}' (.ci/run does)");
        _v1Port = LoopbackPorts.FreePort(IPAddress.Parse("127.0.0.21"));
        _v2Port = LoopbackPorts.FreePort(IPAddress.Parse("127.0.0.22"));
        _backends.Add(NodeProcess.Start(null, "backend.js", "v1", $"127.0.0.21:{_v1Port}"));
        _backends.Add(NodeProcess.Start(null, "backend.js", "v2", $"127.0.0.22:{_v2Port}"));
        foreach (var backend in _backends)
        {
            await backend.WaitForOutputAsync("listening");
        }

        File.WriteAllText(Path.Combine(_dir, "echo.yaml"), $$$"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: echo, namespace: shop}
            spec:
              hosts: [{{{Host}}}]
              location: MESH_INTERNAL
              ports: [{number: {{{ServicePort}}}, name: grpc, protocol: GRPC}]
              resolution: STATIC
              endpoints:
              - {address: 127.0.0.21, ports: {grpc: {{{_v1Port}}}}, labels: {app: echo, version: v1}}
              - {address: 127.0.0.22, ports: {grpc: {{{_v2Port}}}}, labels: {app: echo, version: v2}}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: echo, namespace: shop}
            spec:
              host: {{{Host}}}
              subsets:
              - {name: v1, labels: {version: v1}}
              - {name: v2, labels: {version: v2}}
            """);
        WriteRoutes(v1Weight: 80, v2Weight: 20);
        _meshd = MeshdProcess.Start("--config-dir", _dir);
        await _meshd.WaitReadyAsync();
    }

    public async Task DisposeAsync()
    {
        await _meshd.DisposeAsync();
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }

    private void WriteRoutes(int v1Weight, int v2Weight) => File.WriteAllText(Path.Combine(_dir, "routes.yaml"), $$$"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: echo, namespace: shop}
        spec:
          hosts: [{{{Host}}}]
          http:
          - match:
            - headers: {x-user: {exact: tester}}
            route:
            - destination: {host: {{{Host}}}, subset: v2}
          - route:
            - destination: {host: {{{Host}}}, subset: v1}
              weight: {{{v1Weight}}}
            - destination: {host: {{{Host}}}, subset: v2}
              weight: {{{v2Weight}}}
        """);

    private async Task<(Dictionary<string, int> Counts, int Errors, string? FirstError)> CallAsync(int calls, string? header = null, string client = "client")
    {
        var bootstrap = JsonSerializer.Serialize(new
        {
            xds_servers = new[] { new { server_uri = $"127.0.0.1:{_meshd.XdsPort}", channel_creds = new[] { new { type = "insecure" } }, server_features = new[] { "xds_v3" } } },
            node = new
            {
                id = $"sidecar~127.0.0.30~{client}.shop~shop.svc.cluster.local",
                cluster = client,
                locality = new { },
                metadata = new { GENERATOR = "grpc", NAMESPACE = "shop" },
            },
        });
        var args = header == null ? new[] { "client.js", $"xds:///{Host}:{ServicePort}", calls.ToString(System.Globalization.CultureInfo.InvariantCulture) } : ["client.js", $"xds:///{Host}:{ServicePort}", calls.ToString(System.Globalization.CultureInfo.InvariantCulture), header];
        await using var node = NodeProcess.Start(new Dictionary<string, string> { ["GRPC_XDS_BOOTSTRAP_CONFIG"] = bootstrap }, args);
        var output = await node.WaitForExitAsync();
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith('{'));
        Assert.True(line != null, "the client printed no result:\n" + output + "\nmeshd:\n" + _meshd.Output);
        using var json = JsonDocument.Parse(line);
        var counts = json.RootElement.GetProperty("counts").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        var firstError = json.RootElement.GetProperty("firstError").ValueKind == JsonValueKind.String ? json.RootElement.GetProperty("firstError").GetString() : null;
        return (counts, json.RootElement.GetProperty("errors").GetInt32(), firstError);
    }

    [Fact]
    public async Task WeightedSplit_80_20_LandsWithinTenPoints()
    {
        var (counts, errors, firstError) = await CallAsync(200);

        Assert.True(errors == 0, $"{errors} calls failed, first: {firstError}\nmeshd:\n{_meshd.Output}");
        var v1 = counts.GetValueOrDefault("v1");
        Assert.Equal(200, v1 + counts.GetValueOrDefault("v2"));
        Assert.InRange(v1, 140, 180);
    }

    [Fact]
    public async Task HeaderMatch_SendsEveryMatchingCallToOneSubset()
    {
        var (counts, errors, firstError) = await CallAsync(50, "x-user=tester");

        Assert.True(errors == 0, $"{errors} calls failed, first: {firstError}");
        Assert.Equal(new Dictionary<string, int> { ["v2"] = 50 }, counts);
    }

    [Fact]
    public async Task EditedVirtualService_MovesNewClientsTraffic()
    {
        var (before, _, _) = await CallAsync(20);
        Assert.True(before.GetValueOrDefault("v1") > 0);

        WriteRoutes(v1Weight: 0, v2Weight: 100);
        var clock = Stopwatch.StartNew();
        await _meshd.WaitForOutputAsync("config version 2");
        var (after, errors, firstError) = await CallAsync(20, client: "client-after-edit");

        Assert.True(errors == 0, $"{errors} calls failed, first: {firstError}");
        Assert.Equal(new Dictionary<string, int> { ["v2"] = 20 }, after);
        Console.WriteLine($"traffic moved {clock.ElapsedMilliseconds} ms after the edit (including the client's start)");
    }

    [Fact]
    public async Task ConfigTheClientRejects_IsNackedAndMeshdLogsTheReason()
    {
        // grpc-js refuses ring sizes above 8,388,608; Istio accepts the DestinationRule.
        var rules = File.ReadAllText(Path.Combine(_dir, "echo.yaml")).Replace("  host: echo.shop.svc.cluster.local\n  subsets:", "  host: echo.shop.svc.cluster.local\n  trafficPolicy:\n    loadBalancer:\n      consistentHash:\n        httpHeaderName: x-user\n        ringHash: {minimumRingSize: 10000000}\n  subsets:");
        File.WriteAllText(Path.Combine(_dir, "echo.yaml"), rules);
        await _meshd.WaitForOutputAsync("config version 2");

        await CallAsync(1, client: "client-rejecting");

        await _meshd.WaitForOutputAsync("rejected CDS");
        Assert.Contains("sidecar~127.0.0.30~client-rejecting.shop", _meshd.Output);
    }
}
