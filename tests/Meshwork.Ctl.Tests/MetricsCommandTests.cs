using Meshwork.Ctl.Commands;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Ctl.Tests;

/// <summary><c>meshctl x metrics</c>: golden signals from two scrapes of a sidecar's Istio metrics.</summary>
public sealed class MetricsCommandTests
{
    private const string Labels = "reporter=\"destination\",destination_workload=\"details-v1\",destination_workload_namespace=\"default\"";

    /// <summary>A scrape after <paramref name="ok"/> 200s and <paramref name="failed"/> 503s, with <paramref name="buckets"/> cumulative counts for le 1, 5, 10, +Inf.</summary>
    private static string Scrape(int ok, int failed, params int[] buckets) => $$"""
        # TYPE istio_requests_total counter
        istio_requests_total{{{Labels}},response_code="200"} {{ok}}
        istio_requests_total{{{Labels}},response_code="503"} {{failed}}
        istio_requests_total{reporter="source",source_workload="details-v1",destination_workload="ratings-v1",response_code="500"} 99
        # TYPE istio_request_duration_milliseconds histogram
        istio_request_duration_milliseconds_bucket{{{Labels}},response_code="200",le="1"} {{buckets[0]}}
        istio_request_duration_milliseconds_bucket{{{Labels}},response_code="200",le="5"} {{buckets[1]}}
        istio_request_duration_milliseconds_bucket{{{Labels}},response_code="200",le="10"} {{buckets[2]}}
        istio_request_duration_milliseconds_bucket{{{Labels}},response_code="200",le="+Inf"} {{buckets[3]}}
        """;

    [Fact]
    public void Parse_LabelsWithEscapesAndComments()
    {
        var samples = PrometheusText.Parse("# HELP x\nfoo{a=\"b\\\"c\",d=\"e\"} 2.5\nbar 3\n");

        Assert.Equal(2, samples.Count);
        Assert.Equal(("foo", "b\"c", "e", 2.5), (samples[0].Name, samples[0].Label("a"), samples[0].Label("d"), samples[0].Value));
        Assert.Equal(("bar", 3.0), (samples[1].Name, samples[1].Value));
    }

    [Fact]
    public void Between_RatesErrorsAndInterpolatedPercentilesOfTheWorkloadsInboundSeries()
    {
        var before = PrometheusText.Parse(Scrape(100, 0, 50, 90, 100, 100));
        var after = PrometheusText.Parse(Scrape(180, 20, 90, 160, 180, 180));

        var signals = GoldenSignals.Between(before, after, TimeSpan.FromSeconds(10), "details-v1", "default");

        Assert.Equal(10.0, signals.Rps, 3);       // 100 requests in 10 s (the source-reporter series is not this workload's inbound)
        Assert.Equal(2.0, signals.ErrorRps, 3);
        Assert.Equal(20.0, signals.ErrorPercent, 3);
        // 80 timed requests: 40 ≤ 1 ms, 30 in (1, 5], 10 in (5, 10]. p50: rank 40 → 1 ms; p90: rank 72 → 5 + 5·(72-70)/10 = 6 ms.
        Assert.Equal(1.0, signals.P50, 3);
        Assert.Equal(6.0, signals.P90, 3);
        Assert.Equal(9.6, signals.P99, 3);
    }

    [Fact]
    public void Quantile_NoRequests_IsNaN()
    {
        Assert.True(double.IsNaN(GoldenSignals.Quantile(0.5, [(1, 0), (double.PositiveInfinity, 0)])));
    }

    [Fact]
    public async Task Metrics_AgainstAProxyAdminEndpoint_PrintsTheTable()
    {
        var scrapes = 0;
        await using var server = await BenchTestServer.StartAsync(context =>
        {
            var text = Interlocked.Increment(ref scrapes) == 1 ? Scrape(0, 0, 0, 0, 0, 0) : Scrape(8, 2, 4, 8, 8, 8);
            return context.Response.WriteAsync(text);
        });
        var admin = new Uri(server.Url).Authority;
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var exit = await ExperimentalCommand.MetricsAsync("details-v1", admin, "default", "200ms", "short", stdout, stderr, CancellationToken.None);

        Assert.Equal(0, exit);
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["WORKLOAD", "TOTAL", "RPS", "ERROR", "RPS", "ERROR", "%", "P50", "LATENCY", "P90", "LATENCY", "P99", "LATENCY"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var cells = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("details-v1", cells[0]);
        Assert.Equal("20.000", cells[3]); // 2 of 10 failed
        Assert.Equal("1ms", cells[4]);
    }

    [Fact]
    public async Task Metrics_NothingListening_ExitsTwoWithTheReason()
    {
        var stderr = new StringWriter();

        var exit = await ExperimentalCommand.MetricsAsync("w", "127.0.0.1:1", null, "1s", "short", new StringWriter(), stderr, CancellationToken.None);

        Assert.Equal(2, exit);
        Assert.StartsWith("meshctl: cannot read the proxy's metrics at 127.0.0.1:1:", stderr.ToString());
    }

    [Fact]
    public async Task Metrics_BadInterval_ExitsTwo()
    {
        var stderr = new StringWriter();

        Assert.Equal(2, await ExperimentalCommand.MetricsAsync("w", "127.0.0.1:1", null, "soon", "short", new StringWriter(), stderr, CancellationToken.None));
        Assert.Equal("meshctl: --interval: 'soon' is not a positive duration (e.g. 5s, 500ms)\n", stderr.ToString());
    }
}
