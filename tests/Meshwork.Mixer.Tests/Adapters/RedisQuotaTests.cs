using Meshwork.Mixer.Adapters;
using Meshwork.Mixer.Attributes;
using Meshwork.Mixer.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace Meshwork.Mixer.Tests.Adapters;

/// <summary>Istio 1.4's redisquota samples against a real redis-server: the fixed window allows 1 per 30s (50 for productpage from the ingress gateway), the rolling one 2 per 1s to productpage.</summary>
public class RedisQuotaTests
{
    private static readonly Dictionary<string, QuotaRequest> One = new() { ["requestcountquota"] = new(1, false, "id") };

    private static MixerRuntime Runtime(string sample, RedisServer redis, FakeTimeProvider clock)
    {
        // The sample points at a cluster's Redis service; only the address is changed, in memory.
        var text = File.ReadAllText(Path.Combine(Samples.Root, sample)).Replace("redis-release-master:6379", redis.Address, StringComparison.Ordinal);
        var runtime = new MixerRuntime(new AdapterContext { Time = clock });
        var diagnostics = runtime.Update([.. Samples.Load("config/attributes.yaml"), .. Samples.Text(text, sample)]);
        Assert.True(diagnostics.Count == 0, string.Join("\n", diagnostics));
        return runtime;
    }

    private static AttributeBag To(string app, string source) => new AttributeBag()
        .Set("destination.namespace", "default")
        .Set("source.labels", new Dictionary<string, string> { ["app"] = source })
        .Set("destination.labels", new Dictionary<string, string> { ["app"] = app });

    private static long Granted(MixerRuntime runtime, string app, string source = "reviews") => runtime.Check(To(app, source), One).Quotas["requestcountquota"].GrantedAmount;

    [Fact]
    public async Task Allocate_FixedWindow_GrantsPerWindowWithOverridesThenRefills()
    {
        using var redis = await RedisServer.StartAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        using var runtime = Runtime("bookinfo-policy/mixer-rule-productpage-redis-quota-fixed-window.yaml", redis, clock);

        Assert.Equal([1L, 0L], [Granted(runtime, "productpage"), Granted(runtime, "productpage")]);
        Assert.Equal([1L, 1L, 1L], [Granted(runtime, "productpage", "istio-ingressgateway"), Granted(runtime, "productpage", "istio-ingressgateway"), Granted(runtime, "productpage", "istio-ingressgateway")]);
        Assert.Equal(1, Granted(runtime, "productpage", "ratings"));

        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(0, Granted(runtime, "productpage"));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, Granted(runtime, "productpage"));
    }

    [Fact]
    public async Task Allocate_RollingWindow_FreesGrantsAsTheyAgeOut()
    {
        using var redis = await RedisServer.StartAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        using var runtime = Runtime("bookinfo-policy/mixer-rule-productpage-redis-quota-rolling-window.yaml", redis, clock);

        Assert.Equal(1, Granted(runtime, "productpage"));
        clock.Advance(TimeSpan.FromMilliseconds(600));
        Assert.Equal(1, Granted(runtime, "productpage"));
        Assert.Equal(0, Granted(runtime, "productpage"));

        // 1.1s after the first grant only that one has left the 1s window: one more fits, not two.
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(1, Granted(runtime, "productpage"));
        Assert.Equal(0, Granted(runtime, "productpage"));
    }

    [Fact]
    public async Task Allocate_RedisDown_FailsClosed()
    {
        var redis = await RedisServer.StartAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        using var runtime = Runtime("bookinfo-policy/mixer-rule-productpage-redis-quota-fixed-window.yaml", redis, clock);
        Assert.Equal(1, Granted(runtime, "productpage"));
        redis.Dispose();

        // Another source is another counter, which would be granted if Redis answered.
        Assert.Equal(0, Granted(runtime, "productpage", "ratings"));
    }
}
