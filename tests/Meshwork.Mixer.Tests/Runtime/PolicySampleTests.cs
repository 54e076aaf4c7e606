using System.Net;
using Meshwork.Mixer.Adapters;
using Meshwork.Mixer.Attributes;
using Meshwork.Mixer.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace Meshwork.Mixer.Tests.Runtime;

/// <summary>Istio 1.4's policy tasks (denials, white lists, rate limits) run through the dispatcher with their own YAML.</summary>
public class PolicySampleTests
{
    private static readonly Dictionary<string, QuotaRequest> NoQuotas = [];

    private static AttributeBag Request(string ns, string sourceApp, string sourceVersion, string destinationApp) => new AttributeBag()
        .Set("destination.namespace", ns)
        .Set("source.labels", new Dictionary<string, string> { ["app"] = sourceApp, ["version"] = sourceVersion })
        .Set("destination.labels", new Dictionary<string, string> { ["app"] = destinationApp });

    [Fact]
    public void Check_DenyLabel_DeniesReviewsV3ToRatingsOnly()
    {
        using var runtime = Samples.Runtime(new AdapterContext(), "bookinfo-policy/mixer-rule-deny-label.yaml");

        var denied = runtime.Check(Request("default", "reviews", "v3", "ratings"), NoQuotas);
        Assert.Equal(StatusCodes.PermissionDenied, denied.Precondition.Code);
        Assert.Equal("Not allowed", denied.Precondition.Message);
        Assert.Equal(TimeSpan.FromSeconds(5), denied.Precondition.ValidDuration);
        Assert.Equal(1000, denied.Precondition.ValidUseCount);
        Assert.Contains(new AttributeReference("source.labels", "version", true), denied.References);

        var allowed = runtime.Check(Request("default", "reviews", "v2", "ratings"), NoQuotas);
        Assert.True(allowed.Precondition.IsOk);
        Assert.Equal(TimeSpan.FromMinutes(1), allowed.Precondition.ValidDuration);
    }

    [Fact]
    public void Check_RuleInOtherNamespace_DoesNotApply()
    {
        using var runtime = Samples.Runtime(new AdapterContext(), "bookinfo-policy/mixer-rule-deny-label.yaml");
        var outcome = runtime.Check(Request("prod", "reviews", "v3", "ratings"), NoQuotas);
        Assert.True(outcome.Precondition.IsOk);
        Assert.Contains(new AttributeReference("destination.namespace", null, true), outcome.References);
        Assert.DoesNotContain(outcome.References, r => r.Name == "source.labels");
    }

    [Fact]
    public void Check_DenyServiceAccount_DeniesProductpageToDetails()
    {
        using var runtime = Samples.Runtime(new AdapterContext(), "bookinfo-policy/mixer-rule-deny-serviceaccount.yaml");
        var request = Request("default", "productpage", "v1", "details").Set("source.user", "cluster.local/ns/default/sa/bookinfo-productpage");
        Assert.Equal(StatusCodes.PermissionDenied, runtime.Check(request, NoQuotas).Precondition.Code);
        var other = Request("default", "productpage", "v1", "details").Set("source.user", "cluster.local/ns/default/sa/other");
        Assert.True(runtime.Check(other, NoQuotas).Precondition.IsOk);
    }

    [Fact]
    public void Check_VersionWhitelist_RejectsV3WithNotFound()
    {
        using var runtime = Samples.Runtime(new AdapterContext(), "bookinfo-policy/mixer-rule-deny-whitelist.yaml");
        Assert.True(runtime.Check(Request("default", "reviews", "v2", "ratings"), NoQuotas).Precondition.IsOk);
        var denied = runtime.Check(Request("default", "reviews", "v3", "ratings"), NoQuotas).Precondition;
        Assert.Equal(StatusCodes.NotFound, denied.Code);
        Assert.Equal("v3 is not whitelisted", denied.Message);
        Assert.Equal(TimeSpan.FromSeconds(300), denied.ValidDuration);
    }

    [Fact]
    public void Check_IpWhitelist_AdmitsOnlyTheRangeAtTheIngressGateway()
    {
        using var runtime = Samples.Runtime(new AdapterContext(), "bookinfo-policy/mixer-rule-deny-ip.yaml");
        AttributeBag Gateway(string ip) => new AttributeBag()
            .Set("destination.namespace", "default")
            .Set("source.labels", new Dictionary<string, string> { ["istio"] = "ingressgateway" })
            .Set("source.ip", IPAddress.Parse(ip));

        Assert.True(runtime.Check(Gateway("10.57.3.4"), NoQuotas).Precondition.IsOk);
        var denied = runtime.Check(Gateway("192.168.1.9"), NoQuotas).Precondition;
        Assert.Equal(StatusCodes.NotFound, denied.Code);
        Assert.Equal("192.168.1.9 is not whitelisted", denied.Message);

        // No source.ip: the instance's default ip("0.0.0.0") is checked, and it is not in the range.
        var noIp = new AttributeBag().Set("destination.namespace", "default").Set("source.labels", new Dictionary<string, string> { ["istio"] = "ingressgateway" });
        Assert.Equal(StatusCodes.NotFound, runtime.Check(noIp, NoQuotas).Precondition.Code);
    }

    [Fact]
    public void Check_ProductpageRateLimit_ExhaustsAfterTwoInFiveSecondsOnTheFakeClock()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        using var runtime = Samples.Runtime(new AdapterContext { Time = clock }, "bookinfo-policy/mixer-rule-productpage-ratelimit.yaml");
        var request = new AttributeBag()
            .Set("destination.namespace", "default")
            .Set("destination.labels", new Dictionary<string, string> { ["app"] = "productpage", ["version"] = "v1" })
            .Set("request.headers", new Dictionary<string, string> { ["x-forwarded-for"] = "10.0.0.1" });
        var quotas = new Dictionary<string, QuotaRequest> { ["requestcountquota"] = new(1, false, "id") };

        Assert.Equal(1, runtime.Check(request, quotas).Quotas["requestcountquota"].GrantedAmount);
        Assert.Equal(1, runtime.Check(request, quotas).Quotas["requestcountquota"].GrantedAmount);
        var exhausted = runtime.Check(request, quotas).Quotas["requestcountquota"];
        Assert.Equal(0, exhausted.GrantedAmount);

        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, runtime.Check(request, quotas).Quotas["requestcountquota"].GrantedAmount);
    }

    [Fact]
    public void Check_RateLimitOverrides_ReviewsGetsOneOthersTheDefault()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        using var runtime = Samples.Runtime(new AdapterContext { Time = clock }, "bookinfo-policy/mixer-rule-productpage-ratelimit.yaml");
        AttributeBag To(string app) => new AttributeBag()
            .Set("destination.namespace", "default")
            .Set("destination.labels", new Dictionary<string, string> { ["app"] = app });
        var quotas = new Dictionary<string, QuotaRequest> { ["requestcountquota"] = new(1, false, "id") };

        Assert.Equal(1, runtime.Check(To("reviews"), quotas).Quotas["requestcountquota"].GrantedAmount);
        Assert.Equal(0, runtime.Check(To("reviews"), quotas).Quotas["requestcountquota"].GrantedAmount);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(1, runtime.Check(To("details"), quotas).Quotas["requestcountquota"].GrantedAmount);
        }
    }

    [Fact]
    public void Check_BestEffortQuota_GrantsWhatIsLeft()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        using var runtime = Samples.Runtime(new AdapterContext { Time = clock }, "bookinfo-policy/mixer-rule-productpage-ratelimit.yaml");
        var request = new AttributeBag().Set("destination.namespace", "default").Set("destination.labels", new Dictionary<string, string> { ["app"] = "productpage" });
        var outcome = runtime.Check(request, new Dictionary<string, QuotaRequest> { ["requestcountquota"] = new(5, true, "id") });
        Assert.Equal(2, outcome.Quotas["requestcountquota"].GrantedAmount);
    }

    [Fact]
    public void Check_UngovernedQuota_IsGrantedInFull()
    {
        using var runtime = Samples.Runtime(new AdapterContext(), "bookinfo-policy/mixer-rule-deny-label.yaml");
        var outcome = runtime.Check(Request("default", "a", "v1", "b"), new Dictionary<string, QuotaRequest> { ["other"] = new(3, false, "id") });
        Assert.Equal(3, outcome.Quotas["other"].GrantedAmount);
    }
}
