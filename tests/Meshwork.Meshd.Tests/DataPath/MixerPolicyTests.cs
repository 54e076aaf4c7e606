using System.Net;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>
/// Istio 1.4's Mixer policy tasks on real processes: meshd hosting Mixer (<c>--mixer-address</c>) with
/// the samples' attribute manifest, the denial by label, the productpage rate limit (memquota, 2 per
/// 5 s), the ingress IP white list and the Prometheus metrics, read in place; sidecars for ratings and
/// productpage whose inbound mixer filter checks every request; clients reviews-v2, reviews-v3 and
/// sleep; and an ingress gateway routing to ratings.
/// </summary>
public sealed class MixerPolicyMesh : IAsyncLifetime
{
    public static string Sample(string path) => Path.Combine(MeshdProcess.SharedSamples, "mixer", path);

    public MeshHarness Mesh { get; private set; } = null!;

    public ProxyProcess Ratings { get; private set; } = null!;

    public ProxyProcess ReviewsV2 { get; private set; } = null!;

    public ProxyProcess ReviewsV3 { get; private set; } = null!;

    public ProxyProcess Sleep { get; private set; } = null!;

    public ProxyProcess Gateway { get; private set; } = null!;

    private const string IngressToRatings = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: bookinfo-gateway, namespace: default}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 8080, name: http, protocol: HTTP}
            hosts: ["*"]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: ratings-ingress, namespace: default}
        spec:
          hosts: ["*"]
          gateways: [bookinfo-gateway]
          http:
          - route:
            - destination: {host: ratings.default.svc.cluster.local, port: {number: 9080}}
        """;

    public async Task InitializeAsync()
    {
        var mixer = LoopbackPorts.FreePort();
        Mesh = await MeshHarness.StartWithArgsAsync(
            null,
            ["--mixer-address", $"127.0.0.1:{mixer}"],
            [
                ("attributes.yaml", Sample("config/attributes.yaml")),
                ("metrics.yaml", Sample("config/metrics.yaml")),
                ("prometheus.yaml", Sample("config/prometheus.yaml")),
                ("deny-label.yaml", Sample("bookinfo-policy/mixer-rule-deny-label.yaml")),
                ("ratelimit.yaml", Sample("bookinfo-policy/mixer-rule-productpage-ratelimit.yaml")),
                ("deny-ip.yaml", Sample("bookinfo-policy/mixer-rule-deny-ip.yaml")),
            ],
            ("services.yaml", HttpMeshes.Service("ratings", "app: ratings") + HttpMeshes.Service("productpage", "app: productpage")),
            ("ingress.yaml", IngressToRatings));
        (Ratings, _) = await Mesh.AddWorkloadAsync("ratings-v1", "default", "app=ratings,version=v1");
        await Mesh.AddWorkloadAsync("productpage-v1", "default", "app=productpage,version=v1");
        ReviewsV2 = await Mesh.AddClientAsync("reviews-v2", "default", "app=reviews,version=v2");
        ReviewsV3 = await Mesh.AddClientAsync("reviews-v3", "default", "app=reviews,version=v3");
        Sleep = await Mesh.AddClientAsync("sleep", "default", "app=sleep");
        Gateway = await Mesh.AddClientAsync("istio-ingressgateway", "default", "istio=ingressgateway", role: "gateway");
        await EdgeProtocolMesh.WaitBoundAsync(Mesh, Gateway, $"{Gateway.Ip}:8080");

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
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 6; i++)
        {
            using var response = await http.SendAsync(MixerPolicyMesh.Get("productpage"));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                denied = await response.Content.ReadAsStringAsync();
            }
        }

        // memquota's productpage override: 2 requests per 5 s window, whatever the source. The loop
        // normally fits one window (OK, OK, then 429s); on a slow machine it may span more, and each
        // window it touches allows 2 more, never more than that.
        var windows = (int)(clock.Elapsed.TotalSeconds / 5) + 2;
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK], statuses.Take(2));
        Assert.InRange(statuses.Count(s => s == HttpStatusCode.OK), 2, 2 * windows);
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, s.ToString()));
        Assert.Equal("RESOURCE_EXHAUSTED:Quota is exhausted for: requestcountquota", denied);
    }

    [Fact]
    public async Task IngressIpWhitelist_CallerThroughTheGatewayNotListed_NotFound()
    {
        // Istio 1.4's IP-based white list: at ratings' sidecar, a request whose source is the ingress
        // gateway (its exchanged labels) is checked by source.ip against 10.57.0.0/16.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        HttpStatusCode status = 0;
        var body = string.Empty;
        await MeshHarness.Eventually(
            async () =>
            {
                using var response = await http.GetAsync($"http://{fixture.Gateway.Ip}:8080/ratings/0");
                (status, body) = (response.StatusCode, await response.Content.ReadAsStringAsync());
                return status == HttpStatusCode.NotFound && body.StartsWith("NOT_FOUND:", StringComparison.Ordinal);
            },
            "the gateway's caller refused by the IP white list",
            () => $"{(int)status} {body}\n{fixture.Gateway.Output}");

        Assert.Matches(@"^NOT_FOUND:.*\b127\.[0-9.]+ is not whitelisted$", body);

        // The rule matches only the gateway as source: a sidecar client still reaches ratings.
        using var direct = fixture.ReviewsV2.AppClient(TimeSpan.FromSeconds(10));
        using var allowed = await direct.SendAsync(MixerPolicyMesh.Get("ratings"));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
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
