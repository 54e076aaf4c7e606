using Meshwork.Config.Store;
using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Store;

public sealed class DirectorySourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meshwork-watch-").FullName;
    private readonly ConfigStore _store = new();
    private readonly DirectorySource _source;

    public DirectorySourceTests()
    {
        _source = new DirectorySource(_dir, _store, TimeSpan.FromMilliseconds(50));
    }

    public void Dispose()
    {
        _source.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static string Entry(string name, string host) => $"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: "{name}"
          namespace: ns
        spec:
          hosts: [{host}]
          ports: [{"{"}number: 80, name: http, protocol: HTTP{"}"}]
          resolution: DNS
        """;

    private string HostOf(string name) =>
        _store.Current.Resources.Values.SingleOrDefault(r => r.Name == name)?.Spec is Meshwork.Config.Networking.ServiceEntry se ? se.Hosts[0] : "<none>";

    private void Write(string file, string text) => File.WriteAllText(Path.Combine(_dir, file), text);

    [Fact]
    public async Task Start_ReadsEveryConfigFileRecursively()
    {
        Write("a.yaml", Entry("a", "a.example.com"));
        Directory.CreateDirectory(Path.Combine(_dir, "sub"));
        Write(Path.Combine("sub", "b.yml"), Entry("b", "b.example.com"));
        Write("notes.txt", "not config");

        await _source.StartAsync();

        Assert.Equal(["a", "b"], _store.Current.Resources.Keys.Select(k => k.Name));
        Assert.Empty(_source.Diagnostics);
    }

    [Fact]
    public async Task Watch_CreateChangeRenameDelete_AreFollowed()
    {
        await _source.StartAsync();

        Write("a.yaml", Entry("a", "a.example.com"));
        await Eventually.True(() => HostOf("a") == "a.example.com", "a created");

        Write("a.yaml", Entry("a", "a2.example.com"));
        await Eventually.True(() => HostOf("a") == "a2.example.com", "a changed");

        File.Move(Path.Combine(_dir, "a.yaml"), Path.Combine(_dir, "a.yaml.bak"));
        await Eventually.True(() => HostOf("a") == "<none>", "a renamed away");

        File.Move(Path.Combine(_dir, "a.yaml.bak"), Path.Combine(_dir, "renamed.yaml"));
        await Eventually.True(() => HostOf("a") == "a2.example.com", "a renamed back under a new name");

        File.Delete(Path.Combine(_dir, "renamed.yaml"));
        await Eventually.True(() => _store.Current.Resources.Count == 0, "a deleted");
    }

    [Fact]
    public async Task Watch_FileBecomesInvalid_IsReportedAndLastValidStays()
    {
        Write("a.yaml", Entry("a", "a.example.com"));
        await _source.StartAsync();

        Write("a.yaml", Entry("a", "a.example.com").Replace("resolution: DNS", "resolution: SOMETIMES"));
        await Eventually.True(() => _source.Diagnostics.Count > 0, "the bad edit reported");

        Assert.Equal("a.example.com", HostOf("a"));
        var error = Assert.Single(_source.Diagnostics);
        Assert.StartsWith("a.yaml:9: ServiceEntry ns/a: spec.resolution: unknown value \"SOMETIMES\"", error.ToString());

        Write("a.yaml", Entry("a", "fixed.example.com"));
        await Eventually.True(() => HostOf("a") == "fixed.example.com", "the fix applied");
        Assert.Empty(_source.Diagnostics);
    }

    [Fact]
    public async Task Watch_InvalidFromTheStart_ContributesNothing()
    {
        Write("bad.yaml", "kind: [\n");
        Write("good.yaml", Entry("g", "g.example.com"));

        await _source.StartAsync();

        Assert.Equal(["g"], _store.Current.Resources.Keys.Select(k => k.Name));
        Assert.Single(_source.Diagnostics);
    }

    [Fact]
    public async Task Watch_SameResourceInTwoFiles_FirstFileWinsAndTheOtherIsReported()
    {
        Write("a.yaml", Entry("dup", "from-a.example.com"));
        Write("b.yaml", Entry("dup", "from-b.example.com"));

        await _source.StartAsync();

        Assert.Equal("from-a.example.com", HostOf("dup"));
        Assert.Equal("b.yaml:1: ServiceEntry ns/dup: duplicate resource, already defined in a.yaml; this one is ignored", Assert.Single(_source.Diagnostics).ToString());
    }

    [Fact]
    public async Task Watch_RapidEdits_EndOnTheLastVersionAndEveryPublishedSetIsValid()
    {
        await _source.StartAsync();
        var published = new List<Meshwork.Config.Store.ConfigSnapshot>();
        using var subscription = _store.Subscribe(c => { lock (published) { published.Add(c.Current); } });

        for (var i = 0; i < 60; i++)
        {
            // Two files edited together, some edits invalid on the way.
            Write("x.yaml", i % 7 == 3 ? "spec: [unclosed\n" : Entry("x", $"x{i}.example.com"));
            Write("y.yaml", Entry("y", $"y{i}.example.com"));
            if (i % 10 == 0)
            {
                File.Delete(Path.Combine(_dir, "y.yaml"));
            }
        }

        Write("y.yaml", Entry("y", "y-final.example.com"));
        Write("x.yaml", Entry("x", "x-final.example.com"));

        await Eventually.True(() => HostOf("x") == "x-final.example.com" && HostOf("y") == "y-final.example.com", () => $"the final versions (x={HostOf("x")}, y={HostOf("y")}, scans={_source.ScanCount}, problems={string.Join(" | ", _source.Diagnostics)})");
        await Eventually.True(() => _source.Diagnostics.Count == 0, "no problem left once the edits settle");
        lock (published)
        {
            Assert.NotEmpty(published);
            Assert.All(published, snapshot => Assert.All(snapshot.Resources.Values, r => Assert.Empty(Meshwork.Config.Validation.ConfigValidator.Validate(r).Where(d => d.IsError))));
            Assert.Equal(published.Select(p => p.Version).Order(), published.Select(p => p.Version));
        }
    }

    [Fact]
    public async Task Rescan_FileUnchangedSinceLongBeforeItWasRead_IsNotReadAgainUntilItsTimeChanges()
    {
        var path = Path.Combine(_dir, "a.yaml");
        Write("a.yaml", Entry("a", "a.example.com"));
        var old = DateTime.UtcNow.AddHours(-1);
        File.SetLastWriteTimeUtc(path, old);
        await _source.StartAsync();

        // Same size, same time: the stamp says unchanged, so the content is not read again.
        Write("a.yaml", Entry("a", "b.example.com"));
        File.SetLastWriteTimeUtc(path, old);
        await _source.RescanAsync();
        Assert.Equal("a.example.com", HostOf("a"));

        File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
        await _source.RescanAsync();
        Assert.Equal("b.example.com", HostOf("a"));
    }

    [Fact]
    public async Task Rescan_FileRewrittenWithinItsTimestampTick_IsReadAgain()
    {
        var path = Path.Combine(_dir, "a.yaml");
        Write("a.yaml", Entry("a", "a.example.com"));
        var stamp = File.GetLastWriteTimeUtc(path);
        await _source.StartAsync();

        // A second write of the same size that a coarse file system clock gives the same time.
        Write("a.yaml", Entry("a", "b.example.com"));
        File.SetLastWriteTimeUtc(path, stamp);
        await _source.RescanAsync();

        Assert.Equal("b.example.com", HostOf("a"));
    }

    [Fact]
    public async Task Rescan_SymbolicLinkRetargeted_ReadsTheNewTarget()
    {
        var first = Path.Combine(_dir, ".first");
        var second = Path.Combine(_dir, ".second");
        File.WriteAllText(first, Entry("a", "a.example.com"));
        File.WriteAllText(second, Entry("a", "b.example.com"));
        File.SetLastWriteTimeUtc(first, DateTime.UtcNow.AddHours(-1));
        File.SetLastWriteTimeUtc(second, DateTime.UtcNow.AddHours(-2));
        var link = Path.Combine(_dir, "a.yaml");
        File.CreateSymbolicLink(link, first);
        await _source.StartAsync();
        Assert.Equal("a.example.com", HostOf("a"));

        // As a Kubernetes ConfigMap volume swaps its files: same path, another target of the same size.
        File.Delete(link);
        File.CreateSymbolicLink(link, second);
        await _source.RescanAsync();

        Assert.Equal("b.example.com", HostOf("a"));
    }

    [Fact]
    public async Task Start_MissingDirectory_Throws()
    {
        using var source = new DirectorySource(Path.Combine(_dir, "missing"), _store);

        await Assert.ThrowsAsync<DirectoryNotFoundException>(source.StartAsync);
    }
}
