using Meshwork.Pilot.Model;
using Meshwork.Pilot.Xds;

namespace Meshwork.Pilot.Tests.Xds;

public class TranslationCacheTests
{
    private static ProxyNode Proxy(string ip) => ProxyNode.Parse($"sidecar~{ip}~a.ns~ns.svc.cluster.local", null, out _)!;

    [Fact]
    public void SameInputs_GenerateOnce()
    {
        var cache = new TranslationCache();
        var generator = new AdsHarness.FakeGenerator(TypeUrls.Cluster, endpointsOnly: false);
        generator.Set(("a", 1));

        var first = cache.GetOrGenerate(generator, MeshSnapshot.Empty, Proxy("10.0.0.1"), null);
        var second = cache.GetOrGenerate(generator, MeshSnapshot.Empty, Proxy("10.0.0.1"), null);

        Assert.Same(first, second);
        Assert.Equal(1, generator.Calls);
    }

    [Fact]
    public void AnyInputDiffering_GeneratesAgain()
    {
        var cache = new TranslationCache();
        var generator = new AdsHarness.FakeGenerator(TypeUrls.Cluster, endpointsOnly: false);
        generator.Set(("a", 1), ("b", 2));

        cache.GetOrGenerate(generator, MeshSnapshot.Empty, Proxy("10.0.0.1"), null);
        cache.GetOrGenerate(generator, MeshSnapshot.Empty, Proxy("10.0.0.2"), null);
        cache.GetOrGenerate(generator, MeshSnapshot.Empty, Proxy("10.0.0.1"), new HashSet<string> { "a" });
        cache.GetOrGenerate(generator, MeshSnapshot.Empty with { Version = 7 }, Proxy("10.0.0.1"), null);

        Assert.Equal(4, generator.Calls);
        Assert.Equal(4, cache.Misses);
    }
    [Fact]
    public void NewSnapshot_SameOutput_IsTheEarlierObject()
    {
        var cache = new TranslationCache();
        var generator = new AdsHarness.FakeGenerator(TypeUrls.Cluster, endpointsOnly: false);
        generator.Set(("a", 1), ("b", 2));

        var first = cache.GetOrGenerate(generator, MeshSnapshot.Empty, Proxy("10.0.0.1"), null);
        var second = cache.GetOrGenerate(generator, MeshSnapshot.Empty with { Version = 2 }, Proxy("10.0.0.1"), null);

        // Generated again for the new snapshot, but equal: the proxies holding the first keep holding one object.
        Assert.Equal(2, generator.Calls);
        Assert.Same(first, second);
    }

    [Fact]
    public void NewSnapshot_ChangedOutput_KeepsTheUnchangedResourcesOfTheEarlier()
    {
        var cache = new TranslationCache();
        var generator = new AdsHarness.FakeGenerator(TypeUrls.Cluster, endpointsOnly: false);
        generator.Set(("a", 1), ("b", 2));
        var first = cache.GetOrGenerate(generator, MeshSnapshot.Empty, Proxy("10.0.0.1"), null);

        generator.Set(("a", 1), ("b", 3), ("c", 4));
        var second = cache.GetOrGenerate(generator, MeshSnapshot.Empty with { Version = 2 }, Proxy("10.0.0.1"), null);

        Assert.Equal(["a", "b", "c"], second.Select(r => r.Name));
        Assert.Same(first[0], second[0]);
        Assert.NotSame(first[1], second[1]);
        Assert.NotEqual(first[1].Version, second[1].Version);
    }
}
