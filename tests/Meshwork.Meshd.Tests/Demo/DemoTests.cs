using Meshwork.Meshd.Tests.Bookinfo;

namespace Meshwork.Meshd.Tests.Demo;

/// <summary>
/// The whole tour once (<c>meshctl demo --no-interactive</c>: one mesh, every scenario in order),
/// the output kept for the tests below. The demo judges each step itself (exit 0 when every
/// expectation held); the tests check the lines that show Istio's outcomes.
/// </summary>
public sealed class DemoTour : IAsyncLifetime
{
    public int ExitCode { get; private set; }

    public string Output { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        await using var demo = MeshctlDemo.Start("--no-interactive");
        ExitCode = await demo.SignalAndWaitAsync(0, TimeSpan.FromMinutes(12));
        Output = demo.Output;
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>The output of one scenario: from its heading to the next.</summary>
    public string Scenario(string name)
    {
        var start = Output.IndexOf($"== {name}:", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no scenario {name} in:\n{Output}");
        var end = Output.IndexOf("\n== ", start + 1, StringComparison.Ordinal);
        return Output[start..(end < 0 ? Output.Length : end)];
    }
}

/// <summary>Istio's tasks on Bookinfo through <c>meshctl demo</c>: every scenario passes, and shows what Istio's docs say it shows.</summary>
[Collection("bookinfo-sample")]
public sealed class DemoTests(DemoTour tour) : IClassFixture<DemoTour>
{
    [Fact]
    public void Tour_NonInteractive_EveryExpectationHolds_ExitZero()
    {
        Assert.True(tour.ExitCode == 0, tour.Output);
        Assert.Contains("meshctl demo: every expectation held", tour.Output);
        Assert.DoesNotContain("FAILED", tour.Output);
        Assert.Matches(@"Bookinfo is up: http://127\.\d+\.\d+\.\d+:8080/productpage", tour.Output);
    }

    [Fact]
    public void RequestRouting_Jason_SeesOnlyV2_Over50Requests_OthersV1()
    {
        var text = tour.Scenario("request-routing");

        Assert.Contains("jason (signed in): 50 requests; answered by: v2 ×50;", text);
        Assert.Contains("anonymous: 30 requests; answered by: v1 ×30;", text);
    }

    [Fact]
    public void TrafficShifting_FiftyFifty_WithinTolerance_ThenAllV3()
    {
        var text = tour.Scenario("traffic-shifting");

        var split = System.Text.RegularExpressions.Regex.Match(text, @"anonymous: 100 requests; answered by: v1 ×(\d+), v3 ×(\d+);");
        Assert.True(split.Success, text);
        Assert.InRange(int.Parse(split.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), 30, 70);
        Assert.Contains("anonymous: 40 requests; answered by: v3 ×40;", text);
    }

    [Fact]
    public void FaultInjection_DelayForJason_ShowsTheReviewsError_AbortShowsRatingsUnavailable()
    {
        var text = tour.Scenario("fault-injection");

        Assert.Contains("jason (signed in): 4 requests; answered by: reviews unavailable ×4;", text);
        Assert.Contains("jason (signed in): 20 requests; answered by: ratings unavailable ×20;", text);
        Assert.Contains("anonymous: 20 requests; answered by: v1 ×20;", text);
    }

    [Fact]
    public void Timeouts_ReviewsTimeout_ShowsTheReviewsError()
    {
        var text = tour.Scenario("timeouts");

        Assert.Contains("anonymous: 8 requests; answered by: v2 ×8;", text);
        Assert.Contains("anonymous: 8 requests; answered by: reviews unavailable ×8;", text);
    }

    [Fact]
    public void CircuitBreaking_Burst_SomeAnswered503WithFlagUO()
    {
        var text = tour.Scenario("circuit-breaking");

        Assert.Matches(@"burst: 100 requests; answered by: .*overflow \(UO\) ×\d+", text);
        Assert.Matches(@"status: 200 ×\d+, 503 ×\d+", text);
        Assert.Matches(@"upstream_rq_pending_overflow for productpage: \+[1-9]", text);
    }

    [Fact]
    public void Mirroring_ClientsSeeV1_V2GetsTheCopies()
    {
        var text = tour.Scenario("mirroring");

        Assert.Contains("requests reviews-v2 received: +0", text);
        Assert.Matches(@"requests reviews-v2 received: \+(1\d|[2-9]\d)", text);
        Assert.DoesNotContain("v2 ×", text);
    }

    [Fact]
    public void Mtls_Strict_RefusesPlaintext_GatewayStillWorks()
    {
        var text = tour.Scenario("mtls");
        var strict = text[text.IndexOf("STRICT in namespace default", StringComparison.Ordinal)..];

        Assert.Contains("plaintext to pod IP: 10 requests; answered by: v", text[..text.IndexOf("STRICT in namespace default", StringComparison.Ordinal)]);
        Assert.Contains("plaintext to pod IP: 10 requests; answered by: refused ×10;", strict);
        Assert.Matches(@"via gateway: 10 requests; answered by: [^;]*; status: 200 ×10;", strict);
    }

    [Fact]
    public void Authorization_AllowNothing_Denies_ThenAllowsServiceByService()
    {
        var text = tour.Scenario("authorization");

        Assert.Contains("answered by: denied (RBAC) ×10; status: 403 ×10;", text);
        Assert.Contains("answered by: details unavailable, reviews unavailable ×10;", text);
        Assert.Contains("ratings unavailable ×", text);
    }
}

/// <summary><c>meshctl demo</c> as a process: one scenario, bad usage, and that nothing outlives it.</summary>
[Collection("bookinfo-sample")]
public sealed class DemoProcessTests
{
    [Fact]
    public async Task Scenario_One_RunsOnlyIt_ExitZero()
    {
        await using var demo = MeshctlDemo.Start("--scenario", "circuit-breaking", "--no-interactive");

        var exit = await demo.SignalAndWaitAsync(0, TimeSpan.FromMinutes(5));

        Assert.True(exit == 0, demo.Output);
        Assert.Contains("== circuit-breaking:", demo.Output);
        Assert.DoesNotContain("== request-routing:", demo.Output);
    }

    [Fact]
    public async Task Scenario_Unknown_ExitTwoWithTheNames()
    {
        await using var demo = MeshctlDemo.Start("--scenario", "chaos", "--no-interactive");

        var exit = await demo.SignalAndWaitAsync(0, TimeSpan.FromMinutes(1));

        Assert.Equal(2, exit);
        Assert.Contains("unknown scenario \"chaos\"", demo.Output);
        Assert.Contains("request-routing", demo.Output);
    }

    [Fact]
    public async Task Sigkill_MidWay_WatchdogStopsEveryProcess()
    {
        await using var demo = MeshctlDemo.Start("--scenario", "fault-injection", "--no-interactive");
        await demo.WaitForOutputAsync("== fault-injection:", TimeSpan.FromMinutes(4));
        var children = demo.Descendants();
        Assert.True(children.Count >= 14, $"expected meshd, the watchdog, 7 sidecars and 6 apps; found {children.Count}");

        await demo.SignalAndWaitAsync(9, TimeSpan.FromSeconds(10));

        await MeshctlDemo.AssertGoneAsync(children, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Sigterm_MidWay_StopsEveryProcess_Exit130()
    {
        await using var demo = MeshctlDemo.Start("--scenario", "fault-injection", "--no-interactive");
        await demo.WaitForOutputAsync("== fault-injection:", TimeSpan.FromMinutes(4));
        var children = demo.Descendants();

        var exit = await demo.SignalAndWaitAsync(15, TimeSpan.FromSeconds(60));

        Assert.True(exit == 130, demo.Output);
        await MeshctlDemo.AssertGoneAsync(children, TimeSpan.FromSeconds(5));
    }
}
