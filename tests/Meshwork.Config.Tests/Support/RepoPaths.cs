namespace Meshwork.Config.Tests.Support;

/// <summary>Paths to the repository and to the shared Istio samples beside it (read in place, never copied).</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary><c>../shared</c> beside the repository: Istio's own sample files.</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    public static string IstioSamples => Path.Combine(Shared, "istio-samples");

    public static string Corpus => Path.Combine(Root, "tests", "Meshwork.Config.Tests", "Corpus");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Meshwork.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("cannot find Meshwork.sln above " + AppContext.BaseDirectory);
    }
}
