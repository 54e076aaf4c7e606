using Google.Protobuf.WellKnownTypes;
using Meshwork.Pilot.Generators;

namespace Meshwork.Pilot.Tests.Generators;

public class SharedOutputTests
{
    private static GeneratedResource R(string name, string value) => new(name, Any.Pack(new StringValue { Value = value }));

    [Fact]
    public void Merge_InterleavesByName_SharedWinsOnAClash_ByIndexAndByEnumeration()
    {
        IReadOnlyList<GeneratedResource> shared = [R("b", "shared"), R("d", "shared"), R("f", "shared")];
        IReadOnlyList<GeneratedResource> own = [R("a", "own"), R("d", "own"), R("e", "own"), R("g", "own")];

        var merged = SharedOutput.Merge(shared, own);

        Assert.Equal(["a", "b", "d", "e", "f", "g"], merged.Select(r => r.Name));
        Assert.Equal(6, merged.Count);
        Assert.Equal(merged.Select(r => r.Name), Enumerable.Range(0, merged.Count).Select(i => merged[i].Name));
        Assert.Same(shared[1], merged[2]);
        Assert.Equal("own", merged[3].Resource.Unpack<StringValue>().Value);
        Assert.Throws<ArgumentOutOfRangeException>(() => merged[6]);
    }

    [Fact]
    public void Merge_RandomLists_EqualsASortedUnionWhereSharedWins()
    {
        var random = new Random(7);
        for (var round = 0; round < 50; round++)
        {
            var sharedNames = Enumerable.Range(0, random.Next(0, 30)).Select(_ => random.Next(100).ToString("D3", System.Globalization.CultureInfo.InvariantCulture)).Distinct().Order(StringComparer.Ordinal).ToList();
            var ownNames = Enumerable.Range(0, random.Next(1, 6)).Select(_ => random.Next(100).ToString("D3", System.Globalization.CultureInfo.InvariantCulture)).Distinct().Order(StringComparer.Ordinal).ToList();
            var shared = sharedNames.Select(n => R(n, "shared")).ToList();
            var own = ownNames.Select(n => R(n, "own")).ToList();

            var merged = SharedOutput.Merge(shared, own);

            var expected = shared.Concat(own.Where(o => !sharedNames.Contains(o.Name))).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
            Assert.Equal(expected, merged);
            Assert.Equal(expected, Enumerable.Range(0, merged.Count).Select(i => merged[i]));
        }
    }
}
