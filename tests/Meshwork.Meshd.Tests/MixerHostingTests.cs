using Grpc.Net.Client;
using Istio.Mixer.V1;
using Meshwork.Mixer.Attributes;

namespace Meshwork.Meshd.Tests;

/// <summary>meshd hosting Mixer behind --mixer-address: config from --config-dir, Check and Report over gRPC, series on /metrics.</summary>
public class MixerHostingTests
{
    private static readonly string Samples = "/work/shared/istio-samples/mixer";

    [Fact]
    public async Task MixerAddress_SampleConfig_DeniesOverGrpcAndExportsMetrics()
    {
        var dir = Directory.CreateTempSubdirectory("meshd-mixer-");
        try
        {
            foreach (var file in new[] { "config/attributes.yaml", "config/metrics.yaml", "config/prometheus.yaml", "bookinfo-policy/mixer-rule-deny-label.yaml" })
            {
                var source = Path.Combine(Samples, file);
                Assert.True(File.Exists(source), $"sample {source} is missing");
                File.Copy(source, Path.Combine(dir.FullName, Path.GetFileName(file)));
            }

            var port = LoopbackPorts.FreePort();
            await using var meshd = MeshdProcess.Start("--config-dir", dir.FullName, "--mixer-address", $"127.0.0.1:{port}");
            await meshd.WaitReadyAsync();
            await meshd.WaitForOutputAsync("mixer config:");

            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
            var client = new Istio.Mixer.V1.Mixer.MixerClient(channel);
            var bag = new AttributeBag()
                .Set("destination.namespace", "default")
                .Set("context.protocol", "http")
                .Set("source.labels", new Dictionary<string, string> { ["app"] = "reviews", ["version"] = "v3" })
                .Set("destination.labels", new Dictionary<string, string> { ["app"] = "ratings" });
            var check = await client.CheckAsync(new CheckRequest { Attributes = CompressedAttributesCodec.Encode(bag) });
            Assert.Equal(7, check.Precondition.Status.Code);
            Assert.Equal("Not allowed", check.Precondition.Status.Message);

            var report = new ReportRequest();
            report.Attributes.Add(CompressedAttributesCodec.Encode(bag));
            await client.ReportAsync(report);
            var metrics = await meshd.Http.GetStringAsync(meshd.Monitoring("/metrics"));
            Assert.Contains("istio_requests_total{", metrics);
            Assert.Contains("destination_app=\"ratings\"", metrics);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task MixerAddress_Invalid_ExitsWithUsageError()
    {
        var (exit, output) = await MeshdProcess.RunToExitAsync("--mixer-address", "nowhere");
        Assert.Equal(2, exit);
        Assert.Contains("--mixer-address: \"nowhere\" is not an address of the form IP:PORT", output);
    }
}
