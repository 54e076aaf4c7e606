namespace Meshwork.Config.Tests.Validation.Networking;

/// <summary>Where the VirtualService tests find files on disk: the repository's corpus and the shared Istio samples beside it.</summary>
internal static class VirtualServiceFiles
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string CorpusDirectory => Path.Combine(RepositoryRoot, "tests", "Meshwork.Config.Tests", "Corpus");

    /// <summary>shared/ sits beside the repository, both on developer machines and in CI.</summary>
    public static string BookinfoNetworking => Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "istio-samples", "bookinfo", "networking"));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Meshwork.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Meshwork.sln not found above " + AppContext.BaseDirectory);
    }
}
