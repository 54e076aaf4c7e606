using System.Net;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>
/// Istio 1.4's Mixer policy tasks on real processes: meshd hosting Mixer (<c>--mixer-address</c>) with
/// the samples' attribute manifest, the denial by label, the productpage rate limit (memquota, 2 per
/// 5 s) and the Prometheus metrics, read in place; sidecars for ratings and productpage whose inbound
/// mixer filter checks every request; clients reviews-v2, reviews-v3 and sleep.
/// </summary>
public sealed class MixerPolicyMesh : IAsyncLifetime
{
    public static string Sample(string path) => Path.Combine(MeshdProcess.SharedSamples, "mixer", path);

    public MeshHarness Mesh { get; private set; } = null!;

    public ProxyProcess Ratings { get; private set; } = null!;

    public ProxyProcess ReviewsV2 { get; private set; } = null!;

    public ProxyProcess ReviewsV3 { get; private set; } = null!;

    public ProxyProcess Sleep { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var mixer = MeshdProcess.FreePorts(1)[0];
        Mesh = await MeshHarness.StartWithArgsAsync(
            null,
            ["--mixer-address", $"127.0.0.1:{mixer}"],
            [
                ("attributes.yaml", Sample("config/attributes.yaml")),
                ("metrics.yaml", Sample("config/metrics.yaml")),
                ("prometheus.yaml", Sample("config/prometheus.yaml")),
                ("deny-label.yaml", Sample("bookinfo-policy/mixer-rule-deny-label.yaml")),
                ("ratelimit.yaml", Sample("bookinfo-policy/mixer-rule-productpage-ratelimit.yaml")),
            ],
            ("services.yaml", HttpMeshes.Service("ratings", "app: ratings") + HttpMeshes.Service("productpage", "app: productpage")));
        (Ratings, _) = await Mesh.AddWorkloadAsync("ratings-v1", "default", "app=ratings,version=v1");
        await Mesh.AddWorkloadAsync("productpage-v1", "default", "app=productpage,version=v1");
        ReviewsV2 = await Mesh.AddClientAsync("reviews-v2", "default", "app=reviews,version=v2");
        ReviewsV3 = await Mesh.AddClientAsync("reviews-v3", "default", "app=reviews,version=v3");
        Sleep = await Mesh.AddClientAsync("sleep", "default", "app=sleep");

        // Ready once Mixer has its rules and the ratings sidecar checks with it.
        await MeshHarness.UntilAsync(ReviewsV3, () => Get("ratings"), (r, _) => r.StatusCode == HttpStatusCode.Forbidden, "reviews-v3 denied by Mixer");
    }

    public async Task DisposeAsync() => await Mesh.DisposeAsync();

    public static HttpRequestMessage Get(string service, string? user = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"http://{service}.default.svc.cluster.local:9080/ratings/0");
        if (user != null)
        {
            request.Headers.TryAddWithoutValidation("x-user", user);
        }

        return request;
    }
}

public class MixerPolicyTests(MixerPolicyMesh fixture) : IClassFixture<MixerPolicyMesh>
{
    [Fact]
    public async Task DenyLabel_ReviewsV3ToRatings_Forbidden()
    {
        using var http = fixture.ReviewsV3.AppClient(TimeSpan.FromSeconds(10));
        using var response = await http.SendAsync(MixerPolicyMesh.Get("ratings"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.StartsWith("PERMISSION_DENIED:", body);
        Assert.Contains("Not allowed", body);
    }

    [Fact]
    public async Task DenyLabel_ReviewsV2ToRatings_Allowed()
    {
        using var http = fixture.ReviewsV2.AppClient(TimeSpan.FromSeconds(10));
        using var response = await http.SendAsync(MixerPolicyMesh.Get("ratings"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ProductpageRateLimit_MoreThanTwoRequests_TooManyRequests()
    {
        using var http = fixture.Sleep.AppClient(TimeSpan.FromSeconds(10));
        var statuses = new List<HttpStatusCode>();
        var denied = string.Empty;
        for (var i = 0; i < 4; i++)
        {
            using var response = await http.SendAsync(MixerPolicyMesh.Get("productpage"));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                denied = await response.Content.ReadAsStringAsync();
            }
        }

        // memquota's productpage override: 2 requests per 5 s window, whatever the source.
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal("RESOURCE_EXHAUSTED:Quota is exhausted for: requestcountquota", denied);
    }

    [Fact]
    public async Task CheckCache_SteadyLoad_MixerSeesFewChecksAndBatchedReports()
    {
        const int requests = 200;
        var ratings = fixture.Ratings;
        var checks = await MeshHarness.StatAsync(ratings, "http_mixer_filter.total_check_calls");
        var remote = await MeshHarness.StatAsync(ratings, "http_mixer_filter.total_remote_check_calls");
        var hits = await MeshHarness.StatAsync(ratings, "http_mixer_filter.total_check_cache_hits");
        var reports = await MeshHarness.StatAsync(ratings, "http_mixer_filter.total_report_calls");
        var remoteReports = await MeshHarness.StatAsync(ratings, "http_mixer_filter.total_remote_report_calls");

        using var http = fixture.ReviewsV2.AppClient(TimeSpan.FromSeconds(10));
        for (var i = 0; i < requests; i++)
        {
            using var response = await http.SendAsync(MixerPolicyMesh.Get("ratings"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(checks + requests, await MeshHarness.StatAtLeastAsync(ratings, "http_mixer_filter.total_check_calls", checks + requests));
        // Every request differs (x-request-id, time), but the answer depends on labels only: one key, cached.
        Assert.True(await MeshHarness.StatAsync(ratings, "http_mixer_filter.total_remote_check_calls") - remote <= 2);
        Assert.True(await MeshHarness.StatAsync(ratings, "http_mixer_filter.total_check_cache_hits") - hits >= requests - 2);

        // Reports travel in batches (at most 100 records, at most 1 s old) and reach Mixer's Prometheus adapter.
        Assert.Equal(reports + requests, await MeshHarness.StatAtLeastAsync(ratings, "http_mixer_filter.total_report_calls", reports + requests));
        await MeshHarness.Eventually(
            async () => (await fixture.Mesh.Meshd.Http.GetStringAsync(fixture.Mesh.Meshd.Monitoring("/metrics"))).Contains("source_app=\"reviews\"", StringComparison.Ordinal),
            "Mixer's istio_requests_total for reviews → ratings",
            () => fixture.Mesh.Meshd.Output);
        var batches = await MeshHarness.StatAsync(ratings, "http_mixer_filter.total_remote_report_calls") - remoteReports;
        Assert.InRange(batches, 2, requests / 2);
    }
}
