using Meshwork.Config.Values;
using Meshwork.Pilot.Generators;
using Meshwork.Pilot.Generators.Clusters;
using Meshwork.Pilot.Generators.Endpoints;
using Meshwork.Pilot.Generators.Routes;
using Meshwork.Pilot.Model;
using Meshwork.Pilot.Tests.Golden;
using Meshwork.Pilot.Xds;

namespace Meshwork.Pilot.Tests.Generators;

/// <summary>
/// Output shared between proxies (generated once from <see cref="SharedProxyInputs"/>) must be
/// byte-equal to output generated for each proxy alone, for every sharing generator, over the golden
/// inputs (Bookinfo and the Pilot cases) and proxies varied in every field.
/// </summary>
public class SharedGenerationTests
{
    private static readonly ISharedResourceGenerator[] Sharing = [new ClusterGenerator(), new EndpointGenerator(), new RouteGenerator()];

    public static TheoryData<string> Cases() => new(GoldenCase.Names());

    [Theory]
    [MemberData(nameof(Cases))]
    public void GoldenCase_SharedOutput_IsByteEqualToUnshared(string name)
    {
        var golden = GoldenCase.Load(name);
        var proxies = golden.Proxies.SelectMany(Variants).ToList();
        foreach (var generator in Sharing)
        {
            var cache = new TranslationCache();
            foreach (var proxy in proxies)
            {
                foreach (var names in NameSets(generator.Generate(golden.Snapshot, proxy, null)))
                {
                    var unshared = generator.Generate(golden.Snapshot, proxy, names);
                    var fromInputs = SharedOutput.Merge(generator.GenerateShared(golden.Snapshot, generator.SharedInputs(golden.Snapshot, proxy), names), generator.GenerateOwn(golden.Snapshot, proxy, names));
                    var cached = cache.GetOrGenerate(generator, golden.Snapshot, proxy, names);
                    var context = $"{name}, {TypeUrls.Short(generator.TypeUrl)}, {proxy.Id} ({proxy.Generator}), names {(names == null ? "*" : string.Join(",", names))}";
                    Assert.True(Bytes(unshared).SequenceEqual(Bytes(fromInputs)), "from shared inputs: " + context);
                    Assert.True(Bytes(unshared).SequenceEqual(Bytes(cached)), "through the cache: " + context);
                }
            }
        }
    }

    [Fact]
    public void SidecarsOfDifferentWorkloads_WithNothingSelectingThem_ShareOneGeneration()
    {
        var snapshot = Bookinfo(extra: string.Empty);
        var cache = new TranslationCache();
        ISharedResourceGenerator generator = new RouteGenerator();

        cache.GetOrGenerate(generator, snapshot, Productpage("10.0.0.1"), null);
        cache.GetOrGenerate(generator, snapshot, Ratings("10.0.0.2"), null);

        Assert.Equal(generator.SharedInputs(snapshot, Productpage("10.0.0.1")), generator.SharedInputs(snapshot, Ratings("10.0.0.2")));
        Assert.Equal(1, cache.Misses); // one shared part, generated for the first and found for the second
        Assert.Equal(1, cache.Hits);
    }

    [Fact]
    public void VirtualServiceWithSourceLabels_KeysSharingByThoseLabels()
    {
        var snapshot = Bookinfo("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: default}
            spec:
              hosts: [reviews.default.svc.cluster.local]
              http:
              - match: [{sourceLabels: {app: productpage}}]
                route: [{destination: {host: reviews.default.svc.cluster.local, subset: v2}}]
              - route: [{destination: {host: reviews.default.svc.cluster.local, subset: v1}}]
            """);
        ISharedResourceGenerator generator = new RouteGenerator();
        var productpage = Productpage("10.0.0.1");
        var otherProductpagePod = Productpage("10.0.0.9") with { Labels = productpage.Labels.With("pod-template-hash", "abc") };
        var ratings = Ratings("10.0.0.2");

        Assert.NotEqual(generator.SharedInputs(snapshot, productpage), generator.SharedInputs(snapshot, ratings));
        Assert.Equal(generator.SharedInputs(snapshot, productpage), generator.SharedInputs(snapshot, otherProductpagePod));
        AssertCachedEqualsUnshared(generator, snapshot, [ratings, productpage, otherProductpagePod]);
        AssertCachedEqualsUnshared(generator, snapshot, [productpage, ratings]);
        Assert.Contains("subset|v2", RouteClusters(generator.Generate(snapshot, productpage, null)));
        Assert.DoesNotContain("subset|v2", RouteClusters(generator.Generate(snapshot, ratings, null)));
    }

    [Fact]
    public void SidecarWithWorkloadSelector_KeysSharingBySelectedLabels()
    {
        var snapshot = Bookinfo("""
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: ratings-only, namespace: default}
            spec:
              workloadSelector: {labels: {app: ratings}}
              egress: [{hosts: [./ratings.default.svc.cluster.local]}]
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews-for-productpage, namespace: default}
            spec:
              host: reviews.default.svc.cluster.local
              workloadSelector: {matchLabels: {app: productpage}}
              subsets: [{name: only-v3, labels: {version: v3}}]
            """);
        var productpage = Productpage("10.0.0.1");
        var ratings = Ratings("10.0.0.2");
        var details = RouteTestMesh.Proxy("details-1", "10.0.0.3", "app=details,version=v1");
        foreach (var generator in Sharing)
        {
            Assert.NotEqual(generator.SharedInputs(snapshot, productpage), generator.SharedInputs(snapshot, ratings));
            AssertCachedEqualsUnshared(generator, snapshot, [ratings, productpage, details]);
            AssertCachedEqualsUnshared(generator, snapshot, [details, productpage, ratings]);
        }

        var clusters = new ClusterGenerator();
        Assert.DoesNotContain(clusters.Generate(snapshot, ratings, null), c => c.Name.Contains("reviews", StringComparison.Ordinal));
        Assert.Contains(clusters.Generate(snapshot, productpage, null), c => c.Name == "outbound|9080|only-v3|reviews.default.svc.cluster.local");
        Assert.DoesNotContain(clusters.Generate(snapshot, details, null), c => c.Name.Contains("only-v3", StringComparison.Ordinal));
    }

    [Fact]
    public void NewSnapshot_GeneratesAgain()
    {
        var snapshot = Bookinfo(extra: string.Empty);
        var cache = new TranslationCache();
        ISharedResourceGenerator generator = new ClusterGenerator();

        var first = cache.GetOrGenerate(generator, snapshot, Productpage("10.0.0.1"), null);
        var second = cache.GetOrGenerate(generator, snapshot with { Version = 2 }, Productpage("10.0.0.1"), null);

        Assert.NotSame(first, second);
        Assert.Equal(2, cache.Misses);
    }

    [Fact]
    public void InboundClusters_StayPerProxy()
    {
        var snapshot = Bookinfo(extra: string.Empty);
        var cache = new TranslationCache();
        ISharedResourceGenerator generator = new ClusterGenerator();

        var productpage = cache.GetOrGenerate(generator, snapshot, Productpage("10.0.0.1"), null);
        var ratings = cache.GetOrGenerate(generator, snapshot, Ratings("10.0.0.2"), null);

        Assert.Contains(productpage, c => c.Name == "inbound|9080||");
        Assert.Equal(Bytes(generator.Generate(snapshot, Ratings("10.0.0.2"), null)), Bytes(ratings));
        Assert.Equal(Bytes(generator.Generate(snapshot, Productpage("10.0.0.1"), null)), Bytes(productpage));
    }

    /// <summary>The proxy, another pod of its workload, one with an extra label, and it as a gateway, a proxyless client and in another namespace.</summary>
    private static IEnumerable<ProxyNode> Variants(ProxyNode proxy)
    {
        yield return proxy;
        yield return proxy with { Id = proxy.Id + "-other", Name = proxy.Name + "-other", IpAddresses = ValueList.Of("10.99.0.1"), WorkloadName = "other", ServiceAccount = "other", Ports = ValueList<NamedPort>.Empty };
        yield return proxy with { Labels = proxy.Labels.With("pod-template-hash", "abc") };
        yield return proxy with { IpAddresses = ValueList.Of("fd00::1") };
        yield return proxy with { Type = ProxyType.Router };
        yield return proxy with { Generator = proxy.IsProxylessGrpc ? string.Empty : "grpc" };
        yield return proxy with { Namespace = "elsewhere", DnsDomain = "elsewhere.svc.cluster.local" };
    }

    /// <summary>Everything; each name the proxy has; half of them; and a name it has not.</summary>
    private static IEnumerable<IReadOnlySet<string>?> NameSets(IReadOnlyList<GeneratedResource> all)
    {
        yield return null;
        var names = all.Select(r => r.Name).ToList();
        yield return names.Concat(["outbound|9080||unknown.default.svc.cluster.local"]).ToHashSet(StringComparer.Ordinal);
        yield return names.Where((_, i) => i % 2 == 0).ToHashSet(StringComparer.Ordinal);
    }

    private static void AssertCachedEqualsUnshared(ISharedResourceGenerator generator, MeshSnapshot snapshot, IReadOnlyList<ProxyNode> proxies)
    {
        var cache = new TranslationCache();
        foreach (var proxy in proxies)
        {
            Assert.Equal(Bytes(generator.Generate(snapshot, proxy, null)), Bytes(cache.GetOrGenerate(generator, snapshot, proxy, null)));
        }
    }

    private static List<string> Bytes(IEnumerable<GeneratedResource> resources) =>
        resources.Select(r => $"{r.Name} {r.Version} {r.Resource.TypeUrl} {Convert.ToBase64String(r.Resource.Value.Span)}").ToList();

    private static string RouteClusters(IReadOnlyList<GeneratedResource> routes) =>
        string.Join(" ", routes.Select(r => r.Resource.Unpack<Envoy.Config.Route.V3.RouteConfiguration>())
            .SelectMany(t => t.VirtualHosts).SelectMany(v => v.Routes).Select(r => r.Route_?.Cluster ?? string.Empty)
            .Select(c => c.Replace("outbound|9080|", "subset|", StringComparison.Ordinal)));

    private static ProxyNode Productpage(string ip) => RouteTestMesh.Proxy("productpage-" + ip, ip, "app=productpage,version=v1");

    private static ProxyNode Ratings(string ip) => RouteTestMesh.Proxy("ratings-" + ip, ip, "app=ratings,version=v1");

    /// <summary>Bookinfo's four services with their workloads, reviews' subsets, plus <paramref name="extra"/> config.</summary>
    private static MeshSnapshot Bookinfo(string extra)
    {
        var yaml = RouteTestMesh.Service("productpage") + RouteTestMesh.Service("reviews") + RouteTestMesh.Service("ratings") + RouteTestMesh.Service("details") + """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews, namespace: default}
            spec:
              host: reviews.default.svc.cluster.local
              subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}, {name: v3, labels: {version: v3}}]
            ---

            """ + extra;
        var workloads = new[]
        {
            Productpage("10.0.0.1"),
            Ratings("10.0.0.2"),
            RouteTestMesh.Proxy("details-1", "10.0.0.3", "app=details,version=v1"),
            RouteTestMesh.Proxy("reviews-1", "10.0.0.4", "app=reviews,version=v1"),
            RouteTestMesh.Proxy("reviews-2", "10.0.0.5", "app=reviews,version=v2"),
            RouteTestMesh.Proxy("reviews-3", "10.0.0.6", "app=reviews,version=v3"),
        };
        return RouteTestMesh.Snapshot(yaml, workloads);
    }
}

internal static class LabelMaps
{
    public static ValueMap<string, string> With(this ValueMap<string, string> labels, string key, string value) =>
        new(labels.Where(l => l.Key != key).Append(KeyValuePair.Create(key, value)).OrderBy(l => l.Key, StringComparer.Ordinal));
}
