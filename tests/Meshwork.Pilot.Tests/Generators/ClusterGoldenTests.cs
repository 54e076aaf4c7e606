using Meshwork.Pilot.Generators.Clusters;
using Meshwork.Pilot.Generators.Endpoints;
using Meshwork.Pilot.Tests.Golden;

namespace Meshwork.Pilot.Tests.Generators;

/// <summary>The <c>cds-*</c> golden cases: CDS and EDS for the first proxy of each case.</summary>
public class ClusterGoldenTests
{
    public static TheoryData<string> Cases => new(GoldenCase.Names().Where(n => n.StartsWith("cds-", StringComparison.Ordinal)));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Clusters_MatchGolden(string name) => GoldenCase.Load(name).Verify(new ClusterGenerator(), "cds.json");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Endpoints_MatchGolden(string name) => GoldenCase.Load(name).Verify(new EndpointGenerator(), "eds.json");
}
