using Istio.Mixer.V1;
using Istio.Mixer.V1.Config.Client;
using Meshwork.Proxy.Mixer;
using Meshwork.Proxy.Stats;
using Microsoft.Extensions.Time.Testing;

namespace Meshwork.Proxy.Tests.Mixer;

public class QuotaAndReportTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));

    private static Dictionary<string, object> Request(string path) => new(StringComparer.Ordinal) { ["request.path"] = path, ["request.method"] = "GET" };

    [Fact]
    public void QuotaCache_GrantServesLaterRequestsUntilSpentOrExpired()
    {
        var cache = new QuotaCache();
        Assert.Equal(QuotaLookup.Miss, cache.TryTake("rq", 1, Request("/a"), _time.GetUtcNow()));

        // Mixer granted 3 of the 10 asked for; one went to the request that asked.
        cache.Store("rq", null, Request("/a"), left: 2, exhausted: false, TimeSpan.FromSeconds(5), _time.GetUtcNow());
        Assert.Equal(QuotaLookup.Granted, cache.TryTake("rq", 1, Request("/b"), _time.GetUtcNow()));
        Assert.Equal(QuotaLookup.Granted, cache.TryTake("rq", 1, Request("/c"), _time.GetUtcNow()));
        Assert.Equal(QuotaLookup.Miss, cache.TryTake("rq", 1, Request("/d"), _time.GetUtcNow()));

        cache.Store("rq", null, Request("/a"), left: 5, exhausted: false, TimeSpan.FromSeconds(5), _time.GetUtcNow());
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(QuotaLookup.Miss, cache.TryTake("rq", 1, Request("/e"), _time.GetUtcNow()));
    }

    [Fact]
    public void QuotaCache_NothingGranted_ExhaustedUntilWindowEnds()
    {
        var cache = new QuotaCache();
        cache.Store("rq", null, Request("/a"), left: 0, exhausted: true, TimeSpan.FromSeconds(3), _time.GetUtcNow());

        Assert.Equal(QuotaLookup.Exhausted, cache.TryTake("rq", 1, Request("/a"), _time.GetUtcNow()));
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(QuotaLookup.Miss, cache.TryTake("rq", 1, Request("/a"), _time.GetUtcNow()));
    }

    [Fact]
    public void QuotasFor_RulesMatchByPrefixExactAndRegex_ChargesAddUp()
    {
        var spec = new QuotaSpec
        {
            Rules =
            {
                new QuotaRule { Quotas = { new Quota { Quota_ = "all", Charge = 1 } } },
                new QuotaRule
                {
                    Match = { new AttributeMatch { Clause = { ["request.path"] = new StringMatch { Prefix = "/books" }, ["request.method"] = new StringMatch { Exact = "GET" } } } },
                    Quotas = { new Quota { Quota_ = "all", Charge = 2 }, new Quota { Quota_ = "books" } },
                },
                new QuotaRule
                {
                    Match = { new AttributeMatch { Clause = { ["request.path"] = new StringMatch { Regex = "/api/v[0-9]+" } } } },
                    Quotas = { new Quota { Quota_ = "api", Charge = 5 } },
                },
            },
        };
        var service = MixerServicePlan.Compile(new ServiceConfig { QuotaSpec = { spec } }, new Dictionary<string, object>(), failOpen: true, "test");

        Assert.Equal([("all", 3L), ("books", 1L)], service.QuotasFor(Request("/books/1")));
        Assert.Equal([("all", 1L), ("api", 5L)], service.QuotasFor(Request("/api/v2")));
        Assert.Equal([("all", 1L)], service.QuotasFor(Request("/api/v2/x")));
    }

    [Fact]
    public void Compile_BadQuotaRegex_NamesTheClause()
    {
        var config = new HttpClientConfig { ServiceConfigs = { ["ratings"] = new ServiceConfig { QuotaSpec = { new QuotaSpec { Rules = { new QuotaRule { Match = { new AttributeMatch { Clause = { ["request.path"] = new StringMatch { Regex = "(" } } } } } } } } } } };
        var manager = new Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager
        {
            HttpFilters = { new Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpFilter { Name = "mixer", TypedConfig = Google.Protobuf.WellKnownTypes.Any.Pack(config) } },
        };

        var error = Assert.Throws<ProxyConfigException>(() => MixerFilterPlan.Compile(manager, "listener \"in\"", new StatsStore()));
        Assert.StartsWith("listener \"in\": http_filters[\"mixer\"].service_configs[\"ratings\"].quota_spec[0].rules[0].match[0].clause[\"request.path\"].regex: invalid pattern \"(\"", error.Message);
    }

    [Fact]
    public void Compile_Defaults_IstioBatchAndFailPolicy()
    {
        var manager = new Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager
        {
            HttpFilters = { new Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpFilter { Name = "envoy.filters.http.mixer", TypedConfig = Google.Protobuf.WellKnownTypes.Any.Pack(new HttpClientConfig()) } },
        };

        var plan = MixerFilterPlan.Compile(manager, "l", new StatsStore())!;

        Assert.True(plan.FailOpen);
        Assert.Equal(100, plan.Reports.MaxEntries);
        Assert.Equal(TimeSpan.FromSeconds(1), plan.Reports.MaxTime);
        Assert.NotNull(plan.Cache);
    }

    [Fact]
    public void ReportEncode_Records_DeltaAgainstPreviousWithDefaultWords()
    {
        var first = new Dictionary<string, object>(StringComparer.Ordinal) { ["request.path"] = "/one", ["response.code"] = 200L, ["destination.service.host"] = "ratings.default.svc.cluster.local" };
        var second = new Dictionary<string, object>(StringComparer.Ordinal) { ["request.path"] = "/two", ["response.code"] = 200L, ["destination.service.host"] = "ratings.default.svc.cluster.local" };
        var third = new Dictionary<string, object>(StringComparer.Ordinal) { ["request.path"] = "/two" };

        var requests = ReportBatch.Encode([first, second, third]);

        // The third lacks what the second had, which a delta cannot say: it opens a second request.
        Assert.Equal(2, requests.Count);
        var batch = requests[0];
        Assert.Equal(ReportRequest.Types.RepeatedAttributesSemantics.DeltaEncoding, batch.RepeatedAttributesSemantics);
        Assert.Equal(3, batch.Attributes[0].Strings.Count + batch.Attributes[0].Int64S.Count);
        Assert.Single(batch.Attributes[1].Strings);
        Assert.Empty(batch.Attributes[1].Int64S);
        Assert.Empty(batch.Attributes[1].Words);
        Assert.Contains("/one", batch.DefaultWords);
        Assert.Contains("/two", batch.DefaultWords);
        Assert.Equal((uint)GlobalDictionary.Words.Count, batch.GlobalWordCount);
    }

    [Fact]
    public async Task ReportBatch_MaxEntriesOrMaxTime_Flushes()
    {
        var sent = new List<ReportRequest>();
        Task Send(ReportRequest request)
        {
            lock (sent)
            {
                sent.Add(request);
            }

            return Task.CompletedTask;
        }

        var batch = new ReportBatch(3, TimeSpan.FromSeconds(1));
        for (var i = 0; i < 4; i++)
        {
            batch.Add(Request("/" + i), _time, Send);
        }

        Assert.Single(sent);
        Assert.Equal(3, sent[0].Attributes.Count);

        _time.Advance(TimeSpan.FromSeconds(1));
        await Task.Yield();
        Assert.Equal(2, sent.Count);
        Assert.Single(sent[1].Attributes);
    }
}
