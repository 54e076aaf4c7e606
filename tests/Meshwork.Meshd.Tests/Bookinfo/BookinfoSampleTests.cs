using System.Net;
using Meshwork.Meshd.Tests.DataPath;

namespace Meshwork.Meshd.Tests.Bookinfo;

/// <summary>
/// The Bookinfo sample on the mesh, every service started by <c>meshctl run</c>: the page is
/// assembled through the sidecars, and Istio's request-routing task holds (its own files).
/// </summary>
[Collection("bookinfo-sample")]
public sealed class BookinfoSampleTests(BookinfoSample bookinfo) : IClassFixture<BookinfoSample>
{
    private static HttpClient Browser() => new(new SocketsHttpHandler { UseCookies = false, UseProxy = false }) { Timeout = TimeSpan.FromSeconds(20) };

    /// <summary>Loads the page until it shows details and reviews: the workloads register with meshd one by one after they start.</summary>
    private async Task<string> HealthyPageAsync(HttpClient http, string? user = null)
    {
        var page = string.Empty;
        await MeshHarness.Eventually(
            async () =>
            {
                page = await bookinfo.PageAsync(http, user);
                return page.Contains("Book Details", StringComparison.Ordinal) && page.Contains("Book Reviews", StringComparison.Ordinal);
            },
            "productpage with details and reviews",
            () => page + bookinfo.Diagnostics(),
            TimeSpan.FromSeconds(60));
        return page;
    }

    [Fact]
    public async Task Productpage_ThroughItsSidecar_ShowsDetailsAndReviews()
    {
        using var http = Browser();

        var page = await HealthyPageAsync(http);

        Assert.Contains("The Comedy of Errors", page, StringComparison.Ordinal);
        Assert.Contains("<dt>Publisher:</dt><dd>PublisherA</dd>", page, StringComparison.Ordinal);
        Assert.Contains("<dt>ISBN-13:</dt><dd>123-1234567890</dd>", page, StringComparison.Ordinal);
        Assert.Contains("Reviewer1", page, StringComparison.Ordinal);
        Assert.DoesNotContain("Error fetching", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AllV1_TwentyPageViews_AllShowReviewsV1WithoutStars()
    {
        using var http = Browser();
        await HealthyPageAsync(http);
        await bookinfo.ApplyAsync("virtual-service-all-v1.yaml", "|v1|reviews.", "|v2|reviews.", "|v3|reviews.");

        var versions = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            versions.Add(BookinfoSample.ReviewsVersion(await bookinfo.PageAsync(http)));
        }

        Assert.All(versions, v => Assert.Equal("v1", v));
    }

    [Fact]
    public async Task ReviewsTestV2_Jason_SeesBlackStarsFromV2_OthersV1()
    {
        using var http = Browser();
        await HealthyPageAsync(http);
        await bookinfo.ApplyAsync("virtual-service-reviews-test-v2.yaml", "\"exact\": \"jason\"");

        var jason = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            var page = await bookinfo.PageAsync(http, "jason");
            Assert.Contains("<span id=\"user\">jason</span>", page, StringComparison.Ordinal);
            jason.Add(BookinfoSample.ReviewsVersion(page));
        }

        var others = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            others.Add(BookinfoSample.ReviewsVersion(await bookinfo.PageAsync(http)));
        }

        Assert.All(jason, v => Assert.Equal("v2", v));
        Assert.All(others, v => Assert.Equal("v1", v));
    }

    [Fact]
    public async Task RatingsTestAbort_Jason_SeesRatingsUnavailable_OthersSeeStars()
    {
        using var http = Browser();
        await HealthyPageAsync(http);
        await bookinfo.ApplyAsync("virtual-service-ratings-test-abort.yaml", "\"httpStatus\": 500", "fixedDelay");

        // No reviews rule: the views rotate over v1, v2 and v3; v2 and v3 ask ratings, which aborts jason's calls.
        var jason = new List<string>();
        var others = new List<string>();
        for (var i = 0; i < 9; i++)
        {
            jason.Add(await bookinfo.PageAsync(http, "jason"));
            others.Add(BookinfoSample.ReviewsVersion(await bookinfo.PageAsync(http)));
        }

        Assert.Contains(jason, page => page.Contains("<p class=\"rating-error\">Ratings service is currently unavailable</p>", StringComparison.Ordinal));
        Assert.All(jason, page => Assert.DoesNotContain("class=\"stars\"", page, StringComparison.Ordinal));
        Assert.Contains(others, v => v is "v2" or "v3");
    }

    [Fact]
    public async Task Login_SetsTheUserCookie_PageShowsTheUserUntilLogout()
    {
        var cookies = new CookieContainer();
        using var http = new HttpClient(new SocketsHttpHandler { CookieContainer = cookies, UseProxy = false }) { Timeout = TimeSpan.FromSeconds(20) };
        var productpage = $"http://{bookinfo.ProductPage.Ip}:9080/productpage";
        await HealthyPageAsync(Browser());

        using var login = new HttpRequestMessage(HttpMethod.Post, $"http://{bookinfo.ProductPage.Ip}:9080/login") { Content = new FormUrlEncodedContent([new("username", "jason"), new("passwd", "")]) };
        login.Headers.Referrer = new Uri(productpage);
        using var signedIn = await http.SendAsync(login);
        var page = await signedIn.Content.ReadAsStringAsync();

        Assert.Equal(productpage, signedIn.RequestMessage!.RequestUri!.ToString());
        Assert.Contains("<span id=\"user\">jason</span>", page, StringComparison.Ordinal);
        Assert.Contains("sign out", page, StringComparison.Ordinal);

        using var logout = new HttpRequestMessage(HttpMethod.Get, $"http://{bookinfo.ProductPage.Ip}:9080/logout");
        logout.Headers.Referrer = new Uri(productpage);
        using var signedOut = await http.SendAsync(logout);

        Assert.Contains("name=\"username\"", await signedOut.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TraceHeaders_FromTheCaller_ReachRatingsThroughProductpageAndReviews()
    {
        using var http = Browser();
        await HealthyPageAsync(http);
        await bookinfo.ApplyAsync("virtual-service-reviews-test-v2.yaml", "\"exact\": \"jason\"");
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{bookinfo.ProductPage.Ip}:9080/productpage");
        request.Headers.Add("Cookie", "user=jason");
        request.Headers.Add("x-request-id", requestId);
        request.Headers.Add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");

        using var response = await http.SendAsync(request);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Equal("v2", BookinfoSample.ReviewsVersion(page));

        // v2 asked ratings with the caller's x-request-id: ratings' sidecar logged it (Istio's access log).
        var ratings = bookinfo.Run("ratings-v1");
        await MeshHarness.Eventually(
            () => Task.FromResult(ratings.SidecarOutput.Contains(requestId, StringComparison.Ordinal)),
            "the caller's x-request-id in ratings' access log",
            () => ratings.SidecarOutput);
    }
}
