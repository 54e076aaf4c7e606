using System.Net;
using Grpc.Net.Client;
using Istio.Mixer.V1;
using Meshwork.Mixer.Adapters;
using Meshwork.Mixer.Attributes;
using Meshwork.Mixer.Service;
using Microsoft.Extensions.Time.Testing;
using Prometheus;

namespace Meshwork.Mixer.Tests.Service;

/// <summary>Check and Report over real gRPC on loopback, with attributes compressed as Istio's client sends them.</summary>
public class MixerGrpcServiceTests
{
    private static async Task<(MixerServer Server, GrpcChannel Channel, Istio.Mixer.V1.Mixer.MixerClient Client)> StartAsync(Meshwork.Mixer.Runtime.MixerRuntime runtime)
    {
        var server = await MixerServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), runtime);
        var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{server.Address.Port}");
        return (server, channel, new Istio.Mixer.V1.Mixer.MixerClient(channel));
    }

    [Fact]
    public async Task Check_DenyLabelOverGrpc_AnswersPermissionDeniedWithReferencedAttributes()
    {
        using var runtime = Samples.Runtime(new AdapterContext(), "bookinfo-policy/mixer-rule-deny-label.yaml");
        var (server, channel, client) = await StartAsync(runtime);
        await using var _ = server;
        using var __ = channel;

        var bag = new AttributeBag()
            .Set("destination.namespace", "default")
            .Set("source.labels", new Dictionary<string, string> { ["app"] = "reviews", ["version"] = "v3" })
            .Set("destination.labels", new Dictionary<string, string> { ["app"] = "ratings" })
            .Set("request.path", "/ratings/0");
        var response = await client.CheckAsync(new CheckRequest { Attributes = CompressedAttributesCodec.Encode(bag), GlobalWordCount = (uint)GlobalDictionary.Words.Count });

        Assert.Equal(7, response.Precondition.Status.Code);
        Assert.Equal("Not allowed", response.Precondition.Status.Message);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Precondition.ValidDuration.ToTimeSpan());
        Assert.Equal(1000, response.Precondition.ValidUseCount);

        var referenced = response.Precondition.ReferencedAttributes;
        var names = referenced.AttributeMatches.Select(m => (CompressedAttributesCodec.Word(m.Name, referenced.Words), m.MapKey == 0 ? null : CompressedAttributesCodec.Word(m.MapKey, referenced.Words), m.Condition)).ToList();
        Assert.Contains(("source.labels", "version", ReferencedAttributes.Types.Condition.Exact), names);
        Assert.Contains(("destination.labels", "app", ReferencedAttributes.Types.Condition.Exact), names);
        Assert.DoesNotContain(names, n => n.Item1 == "request.path");
    }

    [Fact]
    public async Task Check_QuotaOverGrpc_GrantsThenExhausts()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        using var runtime = Samples.Runtime(new AdapterContext { Time = clock }, "bookinfo-policy/mixer-rule-productpage-ratelimit.yaml");
        var (server, channel, client) = await StartAsync(runtime);
        await using var _ = server;
        using var __ = channel;
        var request = new CheckRequest
        {
            Attributes = CompressedAttributesCodec.Encode(new AttributeBag()
                .Set("destination.namespace", "default")
                .Set("destination.labels", new Dictionary<string, string> { ["app"] = "productpage" })),
            DeduplicationId = "1",
        };
        request.Quotas["requestcountquota"] = new CheckRequest.Types.QuotaParams { Amount = 1 };

        var granted = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            granted.Add((await client.CheckAsync(request)).Quotas["requestcountquota"].GrantedAmount);
        }

        Assert.Equal([1L, 1L, 0L], granted);
    }

    [Fact]
    public async Task Report_MetricsAndAccessLog_ReachPrometheusAndStdio()
    {
        var registry = Metrics.NewCustomRegistry();
        var log = new StringWriter();
        using var runtime = new Meshwork.Mixer.Runtime.MixerRuntime(new AdapterContext { Metrics = registry, Log = log });
        var diagnostics = runtime.Update(Samples.Load("config/attributes.yaml", "config/metrics.yaml", "config/prometheus.yaml", "config/accesslog.yaml"));

        // The sample's TCP rules name TCP metric instances that live in another file of Istio's: those rules alone are left out.
        Assert.Equal(3, diagnostics.Count);
        Assert.All(diagnostics, d => Assert.Matches("instance \"tcp[a-z]+\\.metric\" not found in namespace istio-system", d.Message));
        var (server, channel, client) = await StartAsync(runtime);
        await using var _ = server;
        using var __ = channel;

        AttributeBag Record(string path) => new AttributeBag()
            .Set("context.protocol", "http")
            .Set("destination.service.host", "ratings.default.svc.cluster.local")
            .Set("destination.labels", new Dictionary<string, string> { ["app"] = "ratings" })
            .Set("source.labels", new Dictionary<string, string> { ["app"] = "reviews" })
            .Set("response.code", 200L)
            .Set("request.path", path)
            .Set("response.duration", TimeSpan.FromMilliseconds(12));
        var report = new ReportRequest { RepeatedAttributesSemantics = ReportRequest.Types.RepeatedAttributesSemantics.IndependentEncoding };
        report.Attributes.Add(CompressedAttributesCodec.Encode(Record("/ratings/1")));
        report.Attributes.Add(CompressedAttributesCodec.Encode(Record("/ratings/2")));
        await client.ReportAsync(report);

        using var exposition = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(exposition);
        var text = System.Text.Encoding.UTF8.GetString(exposition.ToArray());
        var line = text.Split('\n').Single(l => l.StartsWith("istio_requests_total{", StringComparison.Ordinal));
        Assert.Contains("destination_app=\"ratings\"", line);
        Assert.Contains("source_app=\"reviews\"", line);
        Assert.EndsWith(" 2", line);
        Assert.Contains("istio_request_duration_seconds_count{", text);

        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        using var json = System.Text.Json.JsonDocument.Parse(lines[1]);
        Assert.Equal("accesslog.logentry.istio-system", json.RootElement.GetProperty("instance").GetString());
        Assert.Equal("/ratings/2", json.RootElement.GetProperty("url").GetString());
        Assert.Equal(200, json.RootElement.GetProperty("responseCode").GetInt64());
        Assert.Equal("info", json.RootElement.GetProperty("level").GetString());
    }

    [Fact]
    public async Task Report_DeltaEncoding_CarriesEarlierAttributesForward()
    {
        var log = new StringWriter();
        using var runtime = Samples.Runtime(new AdapterContext { Log = log, Metrics = Metrics.NewCustomRegistry() }, "config/accesslog.yaml");
        var (server, channel, client) = await StartAsync(runtime);
        await using var _ = server;
        using var __ = channel;

        var report = new ReportRequest();
        report.Attributes.Add(CompressedAttributesCodec.Encode(new AttributeBag().Set("context.protocol", "http").Set("request.method", "GET")));
        report.Attributes.Add(CompressedAttributesCodec.Encode(new AttributeBag().Set("request.method", "POST")));
        await client.ReportAsync(report);

        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains("\"method\":\"POST\"", lines[1]);
    }

    [Fact]
    public async Task Check_UnknownGlobalWord_IsInvalidArgument()
    {
        using var runtime = Samples.Runtime(new AdapterContext());
        var (server, channel, client) = await StartAsync(runtime);
        await using var _ = server;
        using var __ = channel;
        var attributes = new CompressedAttributes();
        attributes.Strings[100000] = 1;
        var e = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await client.CheckAsync(new CheckRequest { Attributes = attributes }));
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, e.StatusCode);
    }
}
