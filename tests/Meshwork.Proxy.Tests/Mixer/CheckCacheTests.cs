using Istio.Mixer.V1;
using Meshwork.Proxy.Mixer;
using Microsoft.Extensions.Time.Testing;

namespace Meshwork.Proxy.Tests.Mixer;

public class CheckCacheTests
{
    private static readonly CheckVerdict Denied = new(7, "Not allowed");
    private static readonly CheckVerdict Allowed = new(0, string.Empty);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));

    /// <summary>What Mixer's deny-label rule reads: two label maps by key, and the destination namespace.</summary>
    private static ReferencedAttributes LabelRule()
    {
        var referenced = new ReferencedAttributes();
        referenced.Words.AddRange(["app", "version"]);
        referenced.AttributeMatches.Add(new ReferencedAttributes.Types.AttributeMatch { Name = Global("destination.labels"), MapKey = -1, Condition = ReferencedAttributes.Types.Condition.Exact });
        referenced.AttributeMatches.Add(new ReferencedAttributes.Types.AttributeMatch { Name = Global("source.labels"), MapKey = -1, Condition = ReferencedAttributes.Types.Condition.Exact });
        referenced.AttributeMatches.Add(new ReferencedAttributes.Types.AttributeMatch { Name = Global("source.labels"), MapKey = -2, Condition = ReferencedAttributes.Types.Condition.Exact });
        return referenced;
    }

    private static int Global(string word) => GlobalDictionary.Index[word];

    private static Dictionary<string, object> Request(string sourceVersion, string requestId, string? user = null)
    {
        var attributes = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["destination.labels"] = new Dictionary<string, string> { ["app"] = "ratings" },
            ["source.labels"] = new Dictionary<string, string> { ["app"] = "reviews", ["version"] = sourceVersion, ["pod-template-hash"] = requestId },
            ["request.id"] = requestId,
        };
        if (user != null)
        {
            attributes["request.headers"] = new Dictionary<string, string> { ["x-user"] = user };
        }

        return attributes;
    }

    [Fact]
    public void Lookup_SameReferencedValuesOtherAttributesDiffer_Hit()
    {
        var cache = new CheckCache(100);
        cache.Store(LabelRule(), Request("v3", "a"), Denied, TimeSpan.FromSeconds(5), 1000, _time.GetUtcNow());

        Assert.Equal(Denied, cache.Lookup(Request("v3", "b"), _time.GetUtcNow()));
    }

    [Fact]
    public void Lookup_ReferencedMapKeyDiffers_Miss()
    {
        var cache = new CheckCache(100);
        cache.Store(LabelRule(), Request("v3", "a"), Denied, TimeSpan.FromSeconds(5), 1000, _time.GetUtcNow());

        Assert.Null(cache.Lookup(Request("v2", "a"), _time.GetUtcNow()));
    }

    [Fact]
    public void Lookup_AfterValidDuration_Miss()
    {
        var cache = new CheckCache(100);
        cache.Store(LabelRule(), Request("v2", "a"), Allowed, TimeSpan.FromSeconds(5), 1000, _time.GetUtcNow());
        _time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.Equal(Allowed, cache.Lookup(Request("v2", "b"), _time.GetUtcNow()));

        _time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Null(cache.Lookup(Request("v2", "c"), _time.GetUtcNow()));
    }

    [Fact]
    public void Lookup_ValidUseCountSpent_Miss()
    {
        var cache = new CheckCache(100);
        cache.Store(LabelRule(), Request("v2", "a"), Allowed, TimeSpan.FromMinutes(1), 2, _time.GetUtcNow());

        Assert.NotNull(cache.Lookup(Request("v2", "b"), _time.GetUtcNow()));
        Assert.NotNull(cache.Lookup(Request("v2", "c"), _time.GetUtcNow()));
        Assert.Null(cache.Lookup(Request("v2", "d"), _time.GetUtcNow()));
    }

    [Fact]
    public void Lookup_AbsenceReferencedAttributePresent_Miss()
    {
        // The answer saw request.headers["x-user"] absent: a request that has it is another case.
        var referenced = new ReferencedAttributes();
        referenced.Words.Add("x-user");
        referenced.AttributeMatches.Add(new ReferencedAttributes.Types.AttributeMatch { Name = Global("request.headers"), MapKey = -1, Condition = ReferencedAttributes.Types.Condition.Absence });
        var cache = new CheckCache(100);
        cache.Store(referenced, Request("v2", "a"), Allowed, TimeSpan.FromMinutes(1), 0, _time.GetUtcNow());

        Assert.Equal(Allowed, cache.Lookup(Request("v3", "b"), _time.GetUtcNow()));
        Assert.Null(cache.Lookup(Request("v2", "c", user: "blocked"), _time.GetUtcNow()));
    }

    [Fact]
    public void Lookup_TwoShapes_EachRequestFindsItsOwn()
    {
        var byUser = new ReferencedAttributes();
        byUser.Words.Add("x-user");
        byUser.AttributeMatches.Add(new ReferencedAttributes.Types.AttributeMatch { Name = Global("request.headers"), MapKey = -1, Condition = ReferencedAttributes.Types.Condition.Exact });
        var cache = new CheckCache(100);
        cache.Store(LabelRule(), Request("v3", "a"), Denied, TimeSpan.FromMinutes(1), 0, _time.GetUtcNow());
        cache.Store(byUser, Request("v2", "a", user: "blocked"), new CheckVerdict(7, "blocked user"), TimeSpan.FromMinutes(1), 0, _time.GetUtcNow());

        Assert.Equal("blocked user", cache.Lookup(Request("v1", "z", user: "blocked"), _time.GetUtcNow())?.Message);
        Assert.Equal(Denied, cache.Lookup(Request("v3", "z"), _time.GetUtcNow()));
        Assert.Null(cache.Lookup(Request("v1", "z", user: "alice"), _time.GetUtcNow()));
    }

    [Fact]
    public void Store_RegexCondition_NotCached()
    {
        var referenced = new ReferencedAttributes();
        referenced.AttributeMatches.Add(new ReferencedAttributes.Types.AttributeMatch { Name = Global("request.path"), Condition = ReferencedAttributes.Types.Condition.Regex, Regex = "/a.*" });
        var cache = new CheckCache(100);
        cache.Store(referenced, Request("v2", "a"), Allowed, TimeSpan.FromMinutes(1), 0, _time.GetUtcNow());

        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Store_Full_ExpiredEntriesMakeRoom()
    {
        var cache = new CheckCache(2);
        cache.Store(LabelRule(), Request("v1", "a"), Allowed, TimeSpan.FromSeconds(1), 0, _time.GetUtcNow());
        cache.Store(LabelRule(), Request("v2", "a"), Allowed, TimeSpan.FromSeconds(10), 0, _time.GetUtcNow());
        cache.Store(LabelRule(), Request("v3", "a"), Denied, TimeSpan.FromSeconds(10), 0, _time.GetUtcNow());
        Assert.Null(cache.Lookup(Request("v3", "b"), _time.GetUtcNow()));

        _time.Advance(TimeSpan.FromSeconds(2));
        cache.Store(LabelRule(), Request("v3", "a"), Denied, TimeSpan.FromSeconds(10), 0, _time.GetUtcNow());
        Assert.Equal(Denied, cache.Lookup(Request("v3", "b"), _time.GetUtcNow()));
    }
}
