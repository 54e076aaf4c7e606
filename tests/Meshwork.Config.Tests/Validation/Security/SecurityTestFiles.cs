namespace Meshwork.Config.Tests.Validation.Security;

/// <summary>Finds files the security and telemetry tests read: Istio's shared samples and this project's corpus.</summary>
internal static class SecurityTestFiles
{
    /// <summary><c>/work/shared/istio-samples/security/jwt/jwks.json</c> and friends, found by walking up from the test binaries.</summary>
    public static string IstioSample(string relative) => Path.Combine(FindUp(Path.Combine("shared", "istio-samples")), relative);

    public static string CorpusDirectory(string kind) => Path.Combine(FindUp(Path.Combine("tests", "Meshwork.Config.Tests", "Corpus")), kind);

    private static string FindUp(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }
}
