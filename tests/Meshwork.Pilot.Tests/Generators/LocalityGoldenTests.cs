using Envoy.Config.Endpoint.V3;
using Meshwork.Pilot.Generators.Clusters;
using Meshwork.Pilot.Generators.Endpoints;
using Meshwork.Pilot.Tests.Golden;

namespace Meshwork.Pilot.Tests.Generators;

/// <summary>The <c>locality-*</c> golden cases: locality load balancing in CDS and EDS for the first proxy of each case.</summary>
public class LocalityGoldenTests
{
    public static TheoryData<string> Cases => new(GoldenCase.Names().Where(n => n.StartsWith("locality-", StringComparison.Ordinal)));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Clusters_MatchGolden(string name) => GoldenCase.Load(name).Verify(new ClusterGenerator(), "cds.json");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Endpoints_MatchGolden(string name) => GoldenCase.Load(name).Verify(new EndpointGenerator(), "eds.json");

    /// <summary>What Envoy and gRPC check: priorities from 0 without gaps, every locality present and weighted.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Endpoints_PrioritiesContiguousAndLocalitiesWeighted(string name)
    {
        var golden = GoldenCase.Load(name);

        var assignments = new EndpointGenerator().Generate(golden.Snapshot, golden.Proxy, null).Select(r => r.Resource.Unpack<ClusterLoadAssignment>());

        Assert.All(assignments, a =>
        {
            var priorities = a.Endpoints.Select(e => e.Priority).Distinct().Order().ToList();
            Assert.Equal(Enumerable.Range(0, priorities.Count).Select(p => (uint)p), priorities);
            Assert.All(a.Endpoints, e =>
            {
                Assert.NotNull(e.Locality);
                Assert.True(e.LoadBalancingWeight > 0, $"{a.ClusterName}: locality {e.Locality} has no weight");
            });
            Assert.Equal(a.Endpoints.Count, a.Endpoints.Select(e => (e.Locality, e.Priority)).Distinct().Count());
        });
    }
}
