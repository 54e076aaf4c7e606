using Envoy.Config.Cluster.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Pilot.Generators;
using Meshwork.Pilot.Xds;

namespace Meshwork.Pilot.Tests.Xds;

public class GeneratedSetTests
{
    private static GeneratedResource Cluster(string name, int connectTimeout) =>
        new(name, Any.Pack(new Cluster { Name = name, ConnectTimeout = new Duration { Seconds = connectTimeout } }));

    [Fact]
    public void DeltaFrom_ChangedAddedAndRemoved_AndSharedByEveryProxyThatHeldTheOldOutput()
    {
        var before = GeneratedSet.Of([Cluster("a", 1), Cluster("b", 1), Cluster("c", 1)]);
        var after = GeneratedSet.Of([Cluster("a", 1), Cluster("b", 2), Cluster("d", 1)]);

        var delta = after.DeltaFrom(before);

        Assert.Equal(["b", "d"], delta.Changed.Select(r => r.Name));
        Assert.Equal(["c"], delta.Removed);
        Assert.Same(delta, after.DeltaFrom(before));
    }

    [Fact]
    public void Merged_SharedNameWins_AndFingerprintFollowsBothParts()
    {
        var shared = GeneratedSet.Of([Cluster("a", 1), Cluster("c", 1)]);
        var own = new[] { Cluster("b", 1), Cluster("c", 9) };

        var merged = GeneratedSet.Merge(shared, own);

        Assert.Equal(["a", "b", "c"], merged.Select(r => r.Name));
        Assert.True(merged.TryGetVersion("c", out var version));
        Assert.Equal(shared[1].Version, version);
        Assert.True(merged.TryGetVersion("b", out _));
        Assert.False(merged.TryGetVersion("x", out _));
        Assert.Equal(merged.Fingerprint, GeneratedSet.Merge(shared, [Cluster("b", 1), Cluster("c", 9)]).Fingerprint);
        Assert.NotEqual(merged.Fingerprint, GeneratedSet.Merge(shared, [Cluster("b", 2), Cluster("c", 9)]).Fingerprint);
        Assert.NotEqual(merged.Fingerprint, GeneratedSet.Of(merged.ToList()).Fingerprint);
    }

    [Fact]
    public void SentResources_HoldsAnOutputByReference_UntilChangedByName()
    {
        var output = GeneratedSet.Of([Cluster("a", 1), Cluster("b", 1)]);
        var sent = new SentResources();

        sent.Become(output);
        Assert.Same(output, sent.Basis);
        Assert.True(sent.TryGetVersion("a", out var a));
        Assert.Equal(output[0].Version, a);

        sent.Remove("a");
        Assert.Null(sent.Basis);
        Assert.Equal(["b"], sent.Names);
        Assert.False(sent.TryGetVersion("a", out _));
    }
}
