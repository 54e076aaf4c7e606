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
}
