using System.Diagnostics;
using System.Text.Json;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace Meshwork.Meshd.Tests;

/// <summary>A proxy's view of meshd: an xDS stream from a real gRPC client registers the workload, and operators see it.</summary>
public sealed class XdsClientTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meshd-xds-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Node Node(string name, string ip, string app)
    {
        var labels = new Struct();
        labels.Fields["app"] = Value.ForString(app);
        labels.Fields["version"] = Value.ForString("v1");
        var metadata = new Struct();
        metadata.Fields["NAMESPACE"] = Value.ForString("shop");
        metadata.Fields["LABELS"] = Value.ForStruct(labels);
        metadata.Fields["SERVICE_ACCOUNT"] = Value.ForString(app);
        metadata.Fields["POD_PORTS"] = Value.ForString("[{\"name\":\"http\",\"containerPort\":9080,\"protocol\":\"TCP\"}]");
        return new Node { Id = $"sidecar~{ip}~{name}.shop~shop.svc.cluster.local", Metadata = metadata, Locality = new Locality() };
    }

    [Fact]
    public async Task ConnectedProxy_RegistersItsWorkload_AndProxyStatusShowsIt()
    {
        File.WriteAllText(Path.Combine(_dir, "catalog.yaml"), """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: catalog, namespace: shop}
            spec:
              hosts: [catalog.shop.svc.cluster.local]
              location: MESH_INTERNAL
              ports: [{number: 9080, name: http, protocol: HTTP}]
              resolution: STATIC
              workloadSelector: {labels: {app: catalog}}
            """);
        await using var meshd = MeshdProcess.Start("--config-dir", _dir);
        await meshd.WaitReadyAsync();
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{meshd.XdsPort}");
        var client = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel);

        using var call = client.StreamAggregatedResources();
        await call.RequestStream.WriteAsync(new DiscoveryRequest { Node = Node("catalog-v1-1", "127.0.0.11", "catalog"), TypeUrl = "type.googleapis.com/envoy.config.cluster.v3.Cluster" });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        Assert.True(await call.ResponseStream.MoveNext(cts.Token));
        // ACK every response, as a proxy does: the workload's registration is pushed in full, so a new CDS follows the first.
        _ = Task.Run(async () =>
        {
            try
            {
                do
                {
                    var response = call.ResponseStream.Current;
                    await call.RequestStream.WriteAsync(new DiscoveryRequest { TypeUrl = response.TypeUrl, VersionInfo = response.VersionInfo, ResponseNonce = response.Nonce });
                }
                while (await call.ResponseStream.MoveNext(cts.Token));
            }
            catch (Exception e) when (e is RpcException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                // the test is over
            }
        });

        await Eventually(async () =>
        {
            using var registry = JsonDocument.Parse(await meshd.Http.GetStringAsync(meshd.Monitoring("/debug/registryz")));
            return registry.RootElement.GetProperty("endpoints").EnumerateArray().Any(e => e.GetProperty("address").GetString() == "127.0.0.11" && e.GetProperty("port").GetUInt32() == 9080);
        }, "the catalog endpoint 127.0.0.11:9080 in the registry");

        await Eventually(async () => (await meshd.Http.GetStringAsync(meshd.Monitoring("/debug/syncz"))).Contains("SYNCED", StringComparison.Ordinal), "CDS SYNCED in syncz");
        var (exit, output) = await RunMeshctlAsync("proxy-status", "--meshd", $"127.0.0.1:{meshd.MonitoringPort}");
        Assert.Equal(0, exit);
        var lines = output.Trim().Split('\n');
        Assert.StartsWith("NAME", lines[0]);
        Assert.Contains("CDS", lines[0]);
        Assert.Matches(@"^catalog-v1-1\.shop\s+SYNCED\s+NOT SENT\s+NOT SENT\s+NOT SENT\s+meshd@", lines[1]);
    }

    [Fact]
    public async Task ProxyStatus_MeshdUnreachable_ExitsTwo()
    {
        var (exit, output) = await RunMeshctlAsync("proxy-status", "--meshd", "127.0.0.1:1");

        Assert.Equal(2, exit);
        Assert.StartsWith("meshctl: cannot reach meshd at 127.0.0.1:1", output.Trim());
    }

    private static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), "timed out waiting for " + what);
            await Task.Delay(50);
        }
    }

    private static Task<(int Exit, string Output)> RunMeshctlAsync(params string[] args) => MeshdProcess.RunToolAsync("meshctl.dll", args);
}
