using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Tests.Model;

public class WorkloadLocalityTests
{
    [Theory]
    [InlineData("", "", "", "")]
    [InlineData("us-east", "us-east", "", "")]
    [InlineData("us-east/zone1", "us-east", "zone1", "")]
    [InlineData("us-east/zone1/sub1", "us-east", "zone1", "sub1")]
    [InlineData("us-east/zone1/sub1/extra", "us-east", "zone1", "sub1")]
    public void Parse_Label_SplitsIntoRegionZoneSubzone(string label, string region, string zone, string subZone) =>
        Assert.Equal(new WorkloadLocality(region, zone, subZone), WorkloadLocality.Parse(label));

    [Theory]
    [InlineData("us-east", true)]
    [InlineData("us-east/*", true)]
    [InlineData("us-east/zone1", true)]
    [InlineData("us-east/zone1/*", true)]
    [InlineData("us-east/zone1/sub1", true)]
    [InlineData("*", true)]
    [InlineData("us-east/zone2", false)]
    [InlineData("us-east/zone1/sub2", false)]
    [InlineData("us-west/*", false)]
    public void Matches_Rule_WildcardOrMissingPartsMatchAny(string rule, bool expected) =>
        Assert.Equal(expected, new WorkloadLocality("us-east", "zone1", "sub1").Matches(rule));

    [Fact]
    public void Matches_EmptyLocality_OnlyByWildcardRegion()
    {
        Assert.True(WorkloadLocality.Empty.Matches("*"));
        Assert.False(WorkloadLocality.Empty.Matches("us-east"));
    }

    [Theory]
    [InlineData("us-east", "", "", "us-east")]
    [InlineData("us-east", "zone1", "", "us-east/zone1")]
    [InlineData("us-east", "zone1", "sub1", "us-east/zone1/sub1")]
    [InlineData("us-east", "", "sub1", "us-east")]
    public void ToString_StopsAtTheFirstEmptyPart(string region, string zone, string subZone, string expected) =>
        Assert.Equal(expected, new WorkloadLocality(region, zone, subZone).ToString());
}
