namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>
/// Istio's request-routing, traffic-shifting and fault-injection tasks, with Istio's own files,
/// through real sidecars: each answer says which version served it.
/// </summary>
[Collection("bookinfo")]
public sealed class BookinfoRoutingTests(BookinfoMesh bookinfo) : IClassFixture<BookinfoMesh>
{
    private static Func<HttpRequestMessage> Get(string url, string? user = null) => () =>
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (user != null)
        {
            request.Headers.Add("end-user", user);
        }

        return request;
    };

    private async Task<Dictionary<string, int>> CountAsync(string url, int requests, string? user = null)
    {
        using var http = bookinfo.ProductPage.AppClient();
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < requests; i++)
        {
            using var response = await http.SendAsync(Get(url, user)());
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {body}");
            var backend = MeshHarness.BackendOf(body);
            counts[backend] = counts.GetValueOrDefault(backend) + 1;
        }

        return counts;
    }

    [Fact]
    public async Task AllV1_EveryReviewsRequest_GoesToV1()
    {
        await bookinfo.ApplySampleAsync("virtual-service-all-v1.yaml", "|v1|reviews.", "|v2|reviews.", "|v3|reviews.");
        await MeshHarness.UntilAsync(bookinfo.ProductPage, Get("http://reviews:9080/reviews/0"), (r, b) => r.IsSuccessStatusCode && b.Contains("\"reviews-v1\"", StringComparison.Ordinal) && r.Headers.Contains("x-backend"), "reviews routed to v1");

        var counts = await CountAsync("http://reviews:9080/reviews/0", 30);

        Assert.Equal(new Dictionary<string, int> { ["reviews-v1"] = 30 }, counts);
    }

    [Fact]
    public async Task JasonV2V3_Jason_SeesOnlyV2_OthersV3()
    {
        await bookinfo.ApplySampleAsync("virtual-service-reviews-jason-v2-v3.yaml", "\"exact\": \"jason\"", "|v1|reviews.");
        await MeshHarness.UntilAsync(bookinfo.ProductPage, Get("http://reviews:9080/reviews/0", "jason"), (r, b) => r.IsSuccessStatusCode && b.Contains("\"reviews-v2\"", StringComparison.Ordinal), "jason routed to v2");

        Assert.Equal(new Dictionary<string, int> { ["reviews-v2"] = 50 }, await CountAsync("http://reviews:9080/reviews/0", 50, "jason"));
        Assert.Equal(new Dictionary<string, int> { ["reviews-v3"] = 20 }, await CountAsync("http://reviews:9080/reviews/0", 20, "someone-else"));
        Assert.Equal(new Dictionary<string, int> { ["reviews-v3"] = 20 }, await CountAsync("http://reviews:9080/reviews/0", 20));
    }

    [Fact]
    public async Task Reviews50V3_SplitsTrafficHalfAndHalf()
    {
        await bookinfo.ApplySampleAsync("virtual-service-reviews-50-v3.yaml", "\"weight\": 50", "|v2|reviews.", "\"exact\": \"jason\"");
        await MeshHarness.UntilAsync(bookinfo.ProductPage, Get("http://reviews:9080/reviews/0"), (r, b) => b.Contains("\"reviews-v3\"", StringComparison.Ordinal), "reviews v3 in rotation");

        var counts = await CountAsync("http://reviews:9080/reviews/0", 200);

        Assert.Equal(["reviews-v1", "reviews-v3"], counts.Keys.Order().ToArray());
        // 200 fair coin flips land in [70, 130] with probability above 0.99999.
        Assert.InRange(counts["reviews-v1"], 70, 130);
    }

    [Fact]
    public async Task RatingsTestAbort_Jason_Gets500FromTheFaultFilter_OthersAreServed()
    {
        await bookinfo.ApplySampleAsync("virtual-service-ratings-test-abort.yaml", "\"httpStatus\": 500", "fixedDelay");
        var aborted = await MeshHarness.UntilAsync(bookinfo.ProductPage, Get("http://ratings:9080/ratings/0", "jason"), (r, _) => (int)r.StatusCode == 500, "ratings aborted for jason");

        Assert.Equal("fault filter abort", await aborted.Content.ReadAsStringAsync());
        Assert.Equal(new Dictionary<string, int> { ["ratings-v1"] = 10 }, await CountAsync("http://ratings:9080/ratings/0", 10));
        Assert.True(await MeshHarness.StatAtLeastAsync(bookinfo.ProductPage, "http.outbound_" + bookinfo.ProductPage.Ip + "_15001.fault.aborts_injected", 1) >= 1, await MeshHarness.StatsAsync(bookinfo.ProductPage));
        Assert.True(await MeshHarness.StatAtLeastAsync(bookinfo.ProductPage, "http.outbound_" + bookinfo.ProductPage.Ip + "_15001.response_flags.FI", 1) >= 1);
    }

    [Fact]
    public async Task RatingsTestDelay_Jason_IsDelayedSevenSeconds_OthersAreNot()
    {
        await bookinfo.ApplySampleAsync("virtual-service-ratings-test-delay.yaml", "\"fixedDelay\": \"7s\"", "httpStatus");
        var prefix = "http.outbound_" + bookinfo.ProductPage.Ip + "_15001.fault.delays_injected";
        var before = await MeshHarness.StatAsync(bookinfo.ProductPage, prefix);
        await MeshHarness.UntilAsync(bookinfo.ProductPage, Get("http://ratings:9080/ratings/0", "jason"), (r, _) => r.IsSuccessStatusCode, "ratings answers jason");
        await MeshHarness.Eventually(async () => await MeshHarness.StatAsync(bookinfo.ProductPage, prefix) > before, "a delay injected for jason", () => bookinfo.ProductPage.Output);

        var unchanged = await MeshHarness.StatAsync(bookinfo.ProductPage, prefix);
        Assert.Equal(new Dictionary<string, int> { ["ratings-v1"] = 5 }, await CountAsync("http://ratings:9080/ratings/0", 5));
        Assert.Equal(unchanged, await MeshHarness.StatAtLeastAsync(bookinfo.ProductPage, prefix, unchanged));
        Assert.Contains(" DI ", bookinfo.ProductPage.Output, StringComparison.Ordinal);
    }
}
