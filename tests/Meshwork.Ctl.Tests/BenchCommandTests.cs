using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Meshwork.Ctl.Bench;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Xunit.Abstractions;

namespace Meshwork.Ctl.Tests;

/// <summary>
/// meshctl bench against local Kestrel servers with known behaviour. Only what must hold on any
/// machine is asserted (latency at least the injected delay, the scheduled request count, error
/// counting, a stall counted against every request it delays), never how fast this machine is.
/// </summary>
public sealed class BenchCommandTests(ITestOutputHelper output)
{
    private static async Task<(int Exit, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CommandLine.RunAsync(args, new StringReader(string.Empty), stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs with --json and keeps the JSON in the test's output (the evidence when a test fails).</summary>
    private async Task<(int Exit, JsonElement Json, string Err)> RunJson(params string[] args)
    {
        var (exit, stdout, stderr) = await Run([.. args, "--json"]);
        output.WriteLine(stdout.Trim());
        Assert.True(stdout.Trim().Split('\n').Length == 1, "--json prints one line: " + stdout + stderr);
        using var doc = JsonDocument.Parse(stdout);
        return (exit, doc.RootElement.Clone(), stderr);
    }

    private static long Long(JsonElement json, string name) => json.GetProperty(name).GetInt64();

    private static double Ms(JsonElement json, string name) => json.GetProperty("latency_ms").GetProperty(name).GetDouble();

    private static long Code(JsonElement json, int code) =>
        json.GetProperty("status_codes").TryGetProperty(code.ToString(System.Globalization.CultureInfo.InvariantCulture), out var n) ? n.GetInt64() : 0;

    [Fact]
    public async Task Bench_InjectedDelay_LatencyAtLeastTheDelayAndCountFollowsTheSchedule()
    {
        await using var server = await BenchTestServer.StartAsync(async context =>
        {
            await BenchTestServer.DelayAtLeastAsync(TimeSpan.FromMilliseconds(20));
            await context.Response.WriteAsync("hello");
        });

        var (exit, json, stderr) = await RunJson("bench", server.Url, "--qps", "100", "--connections", "4", "--duration", "2s", "--warmup", "500ms");

        Assert.True(exit == 0, stderr);
        Assert.Equal("open", json.GetProperty("mode").GetString());
        var requests = Long(json, "requests");
        Assert.InRange(requests, 150, 250); // 100 qps × 2 s, generously
        Assert.Equal(requests, Long(json, "ok"));
        Assert.Equal(requests, Code(json, 200));
        Assert.Equal(0, Long(json, "errors"));
        Assert.Equal(requests * 5, Long(json, "bytes_received"));
        Assert.True(Ms(json, "min") >= 20, $"min {Ms(json, "min")} ms < the injected 20 ms");
        Assert.True(Ms(json, "p50") >= 20, $"p50 {Ms(json, "p50")} ms < the injected 20 ms");
        Assert.True(Ms(json, "p99") >= Ms(json, "p50") && Ms(json, "max") >= Ms(json, "p99_9"));
        Assert.True(json.GetProperty("elapsed_s").GetDouble() >= 2);
        Assert.True(json.GetProperty("qps_achieved").GetDouble() > 0);
        Assert.Equal(JsonValueKind.Object, json.GetProperty("send_delay_ms").ValueKind);
    }

    [Fact]
    public async Task Bench_ServerStallsOnceAtFixedRate_EveryDelayedRequestCountsTheStall()
    {
        // At the 50th request the server stalls for 500 ms (a GC pause, say): every request that
        // arrives meanwhile waits for the stall's end. At 50 qps about 25 requests are due in those
        // 500 ms; timed from their intended send, ~6 of them took ≥ 400 ms. A generator with
        // coordinated omission would record the stall once and p99 would stay small.
        var count = 0;
        long stallUntil = 0; // Stopwatch timestamp
        await using var server = await BenchTestServer.StartAsync(async context =>
        {
            if (Interlocked.Increment(ref count) == 50)
            {
                Interlocked.Exchange(ref stallUntil, Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 2));
            }

            var wait = Interlocked.Read(ref stallUntil) - Stopwatch.GetTimestamp();
            if (wait > 0)
            {
                await BenchTestServer.DelayAtLeastAsync(TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency));
            }

            await context.Response.WriteAsync("ok");
        });

        var (exit, json, stderr) = await RunJson("bench", server.Url, "--qps", "50", "--connections", "2", "--duration", "2s", "--warmup", "500ms");

        Assert.True(exit == 0, stderr);
        var requests = Long(json, "requests");
        Assert.InRange(requests, 75, 125);
        Assert.True(count >= 50, $"the server saw only {count} requests, the stall never happened");
        Assert.True(Ms(json, "max") >= 500, $"max {Ms(json, "max")} ms: the 500 ms stall is missing");
        // With fewer than 200 requests, p99 is the second-highest value or lower: ≥ 400 ms means
        // more than one request carried (most of) the stall.
        Assert.True(requests < 200);
        Assert.True(Ms(json, "p99") >= 400, $"p99 {Ms(json, "p99")} ms: the requests queued behind the stall were not counted from their intended send time");
    }

    [Fact]
    public async Task Bench_ErrorStatuses_AreCountedByCode()
    {
        var count = 0;
        await using var server = await BenchTestServer.StartAsync(async context =>
        {
            context.Response.StatusCode = Interlocked.Increment(ref count) % 2 == 0 ? 503 : 200;
            await context.Response.WriteAsync("x");
        });

        var (exit, json, stderr) = await RunJson("bench", server.Url, "--qps", "100", "--connections", "2", "--duration", "1s", "--warmup", "200ms");

        Assert.True(exit == 0, "error statuses still mean the run happened: " + stderr);
        var requests = Long(json, "requests");
        Assert.Equal(requests, Code(json, 200) + Code(json, 503));
        // The server alternates; the measured requests are its arrivals after the warm-up's, give or
        // take one reordered across the boundary between two connections.
        Assert.InRange(Code(json, 503), (requests / 2) - 3, (requests / 2) + 3);
        Assert.Equal(Code(json, 200), Long(json, "ok"));
        Assert.Equal(Code(json, 503), Long(json, "errors"));
        Assert.Equal(0, Long(json, "socket_errors_total"));
    }

    [Fact]
    public async Task Bench_NothingSucceeds_ExitsOneWithOneLine()
    {
        await using var server = await BenchTestServer.StartAsync(context =>
        {
            context.Response.StatusCode = 500;
            return Task.CompletedTask;
        });

        var (exit, json, stderr) = await RunJson("bench", server.Url, "--qps", "50", "--connections", "1", "--duration", "500ms", "--warmup", "0");

        Assert.Equal(1, exit);
        Assert.Equal(Long(json, "requests"), Code(json, 500));
        Assert.Equal(0, Long(json, "ok"));
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains("× 500", stderr);
    }

    [Fact]
    public async Task Bench_ConnectionRefused_CountsSocketErrorsAndExitsOne()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var (exit, json, _) = await RunJson("bench", $"http://127.0.0.1:{port}/", "--qps", "20", "--connections", "2", "--duration", "500ms", "--warmup", "0");

        Assert.Equal(1, exit);
        Assert.True(Long(json, "requests") > 0);
        Assert.Equal(Long(json, "requests"), json.GetProperty("socket_errors").GetProperty("connect").GetInt64());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("latency_ms").GetProperty("p50").ValueKind);
    }

    [Fact]
    public async Task Bench_ClosedLoop_CompletesAndPrintsTheSummary()
    {
        await using var server = await BenchTestServer.StartAsync(context => context.Response.WriteAsync("hello"));

        var (exit, stdout, stderr) = await Run("bench", server.Url, "--qps", "0", "--connections", "2", "--duration", "1s");

        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("max qps (closed loop) over 2 connections for 1s (warm-up 1s, not counted)", stdout);
        Assert.Matches(@"Ended after \d+\.\d+s: \d+ requests, qps max asked", stdout);
        Assert.Matches(@"p50 [\d.]+ +p75 [\d.]+ +p90 [\d.]+ +p99 [\d.]+ +p99\.9 [\d.]+ +max [\d.]+", stdout);
        Assert.Matches(@"Code 200 : \d+ \(100\.0 %\)", stdout);
        Assert.Contains("Socket errors: 0", stdout);
    }

    [Fact]
    public async Task Bench_ClosedLoopJson_HasNoSendDelay()
    {
        await using var server = await BenchTestServer.StartAsync(context => context.Response.WriteAsync("hello"));

        var (exit, json, stderr) = await RunJson("bench", server.Url, "--qps", "0", "-c", "1", "-t", "500ms", "--warmup", "0");

        Assert.True(exit == 0, stderr);
        Assert.Equal("closed", json.GetProperty("mode").GetString());
        Assert.Equal(0, json.GetProperty("qps_target").GetDouble());
        Assert.True(Long(json, "requests") > 0);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("send_delay_ms").ValueKind);
    }

    [Fact]
    public async Task Bench_Proxy_SendsAbsoluteFormToTheProxy()
    {
        // The "proxy" answers 200 only for absolute-form requests naming the service, as a sidecar's outbound port gets them.
        await using var proxy = await BenchTestServer.StartAsync(async context =>
        {
            var target = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
            context.Response.StatusCode = target == "http://backend.bench.svc.cluster.local:8080/x" && context.Request.Host.Value == "backend.bench.svc.cluster.local:8080" ? 200 : 400;
            await context.Response.WriteAsync(target);
        });

        var (exit, json, stderr) = await RunJson("bench", "http://backend.bench.svc.cluster.local:8080/x", "--proxy", proxy.Url, "--qps", "40", "-c", "2", "-t", "500ms", "--warmup", "0");

        Assert.True(exit == 0, stderr);
        Assert.Equal(Long(json, "requests"), Long(json, "ok"));
        Assert.Equal(proxy.Url, json.GetProperty("proxy").GetString());
    }

    [Fact]
    public async Task Bench_AsAProcess_PrintsJsonAndExitsZero()
    {
        // The real meshctl process (Program.cs turns on inline socket completions for bench).
        await using var server = await BenchTestServer.StartAsync(context => context.Response.WriteAsync("hello"));

        var (exit, stdout, stderr) = await MeshctlProcess.RunAsync("bench", server.Url, "--qps", "200", "-c", "2", "-t", "500ms", "--warmup", "0", "--json");

        Assert.True(exit == 0, stdout + stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.InRange(json.RootElement.GetProperty("requests").GetInt64(), 75, 125);
        Assert.Equal(json.RootElement.GetProperty("requests").GetInt64(), json.RootElement.GetProperty("ok").GetInt64());
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://127.0.0.1/")]
    [InlineData("http://127.0.0.1:1/", "--qps", "-5")]
    [InlineData("http://127.0.0.1:1/", "--qps", "many")]
    [InlineData("http://127.0.0.1:1/", "--connections", "0")]
    [InlineData("http://127.0.0.1:1/", "--duration", "10")]
    [InlineData("http://127.0.0.1:1/", "--duration", "0s")]
    [InlineData("http://127.0.0.1:1/", "--warmup", "-1s")]
    [InlineData("http://127.0.0.1:1/", "--proxy", "socks5://127.0.0.1:1080")]
    public async Task Bench_BadUsage_ExitsTwoWithOneLine(string url, params string[] more)
    {
        var (exit, stdout, stderr) = await Run(["bench", url, .. more]);

        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("meshctl: ", stderr);
    }

    [Fact]
    public async Task Bench_Help_DocumentsTheJsonFields()
    {
        var (exit, stdout, _) = await Run("bench", "--help");

        Assert.Equal(0, exit);
        foreach (var field in new[] { "--qps", "--connections", "--duration", "--proxy", "qps_achieved", "latency_ms", "p99_9", "status_codes", "socket_errors" })
        {
            Assert.Contains(field, stdout);
        }
    }

    [Theory]
    [InlineData("10s", 10_000)]
    [InlineData("500ms", 500)]
    [InlineData("1m", 60_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("250us", 0.25)]
    [InlineData("0", 0)]
    [InlineData("1h", 3_600_000)]
    public void GoDuration_ParsesGoSyntax(string text, double milliseconds)
    {
        Assert.True(GoDuration.TryParse(text, out var value));
        Assert.Equal(milliseconds, value.TotalMilliseconds, 6);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("-1s")]
    [InlineData("s")]
    [InlineData("1x")]
    [InlineData("1s ")]
    public void GoDuration_RejectsOtherText(string text) => Assert.False(GoDuration.TryParse(text, out _));
}
