using Meshwork.Config.Resources;
using Meshwork.Config.Store;
using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Store;

public class ConfigStoreTests
{
    private static ConfigResource Resource(string name, string host = "a.example.com")
    {
        var outcome = Validate.Yaml($"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {"{"}name: {name}, namespace: ns{"}"}
            spec:
              hosts: [{host}]
              ports: [{"{"}number: 80, name: http, protocol: HTTP{"}"}]
              resolution: DNS
            """);
        return outcome.Resources.Single();
    }

    [Fact]
    public void ReplaceSource_PublishesAddedUpdatedRemoved()
    {
        var store = new ConfigStore();
        var changes = new List<ConfigChange>();
        using var subscription = store.Subscribe(changes.Add);

        store.ReplaceSource("dir", [Resource("a"), Resource("b")]);
        store.ReplaceSource("dir", [Resource("a", "changed.example.com"), Resource("c")]);

        Assert.Equal(2, changes.Count);
        Assert.Equal(["a", "b"], changes[0].Added.Select(k => k.Name));
        Assert.Equal(["c"], changes[1].Added.Select(k => k.Name));
        Assert.Equal(["a"], changes[1].Updated.Select(k => k.Name));
        Assert.Equal(["b"], changes[1].Removed.Select(k => k.Name));
        Assert.Equal(2, store.Current.Version);
        Assert.Equal(["a", "c"], store.Current.Resources.Keys.Select(k => k.Name));
    }

    [Fact]
    public void ReplaceSource_SameContent_PublishesNothing()
    {
        var store = new ConfigStore();
        store.ReplaceSource("dir", [Resource("a")]);
        var changes = new List<ConfigChange>();
        using var subscription = store.Subscribe(changes.Add);

        var change = store.ReplaceSource("dir", [Resource("a")]);

        Assert.True(change.IsEmpty);
        Assert.Empty(changes);
        Assert.Equal(1, store.Current.Version);
    }

    [Fact]
    public void Snapshot_IsImmutable_WhileTheStoreMovesOn()
    {
        var store = new ConfigStore();
        store.ReplaceSource("dir", [Resource("a")]);
        var before = store.Current;

        store.ReplaceSource("dir", []);

        Assert.Single(before.Resources);
        Assert.Empty(store.Current.Resources);
    }

    [Fact]
    public void SameKeyFromTwoSources_FirstSourceWins()
    {
        var store = new ConfigStore();
        store.ReplaceSource("first", [Resource("a", "first.example.com")]);
        store.ReplaceSource("second", [Resource("a", "second.example.com")]);

        Assert.Contains("first.example.com", store.Current.Resources.Values.Single().Spec.ToString());

        store.ReplaceSource("first", []);
        Assert.Contains("second.example.com", store.Current.Resources.Values.Single().Spec.ToString());
    }

    [Fact]
    public void UpsertAndDelete_WorkAsAnInMemorySource()
    {
        var store = new ConfigStore();
        store.Upsert(Resource("a"));
        store.Upsert(Resource("b"));
        store.Delete(new ResourceKey("ServiceEntry", "ns", "a"));

        Assert.Equal(["b"], store.Current.Resources.Keys.Select(k => k.Name));
    }
}
