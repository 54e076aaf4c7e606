using System.Xml.Linq;

namespace Meshwork.Architecture.Tests;

/// <summary>
/// Dependencies point inward (ARCHITECTURE.md §5): Config and the protos know nothing of the rest;
/// Registry uses Config; Pilot uses both; nothing depends on Meshd, Proxy or Ctl.
/// Checked on the project references of every project under src/.
/// </summary>
public class DependencyTests
{
    /// <summary>What each project may reference. A project missing here fails the test until its place is decided.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Meshwork.Config"] = [],
        ["Meshwork.Xds.Protos"] = [],
        ["Meshwork.Registry"] = ["Meshwork.Config"],
        ["Meshwork.Pilot"] = ["Meshwork.Config", "Meshwork.Registry", "Meshwork.Xds.Protos"],
        ["Meshwork.Citadel"] = ["Meshwork.Config", "Meshwork.Xds.Protos"],
        ["Meshwork.Mixer"] = ["Meshwork.Config", "Meshwork.Xds.Protos"],
        ["Meshwork.Meshd"] = ["Meshwork.Config", "Meshwork.Xds.Protos", "Meshwork.Registry", "Meshwork.Pilot", "Meshwork.Citadel", "Meshwork.Mixer"],
        ["Meshwork.Proxy"] = ["Meshwork.Config", "Meshwork.Xds.Protos"],
        ["Meshwork.Ctl"] = ["Meshwork.Config", "Meshwork.Xds.Protos", "Meshwork.Registry", "Meshwork.Pilot", "Meshwork.Citadel", "Meshwork.Mixer"],
    };

    public static TheoryData<string> Projects()
    {
        var data = new TheoryData<string>();
        foreach (var csproj in Directory.EnumerateFiles(Path.Combine(Root, "src"), "*.csproj", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(csproj));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void Project_ReferencesOnlyInwardProjects(string project)
    {
        Assert.True(Allowed.ContainsKey(project), $"{project} has no place in the dependency rules; add it to {nameof(Allowed)}");

        var references = ReferencesOf(project);

        Assert.All(references, r => Assert.Contains(r, Allowed[project]));
    }

    [Fact]
    public void Src_HasTheFoundationProjects()
    {
        var projects = Directory.EnumerateFiles(Path.Combine(Root, "src"), "*.csproj", SearchOption.AllDirectories).Select(Path.GetFileNameWithoutExtension).ToList();

        Assert.Contains("Meshwork.Config", projects);
        Assert.Contains("Meshwork.Ctl", projects);
    }

    private static IEnumerable<string> ReferencesOf(string project)
    {
        var path = Directory.EnumerateFiles(Path.Combine(Root, "src"), project + ".csproj", SearchOption.AllDirectories).Single();
        return XDocument.Load(path).Descendants("ProjectReference")
            .Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value.Replace('\\', '/')))
            .ToList();
    }

    private static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Meshwork.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("cannot find Meshwork.sln");
    }
}
