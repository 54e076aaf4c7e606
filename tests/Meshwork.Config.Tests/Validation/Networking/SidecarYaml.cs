namespace Meshwork.Config.Tests.Validation.Networking;

/// <summary>The first five lines of a Sidecar named <c>s</c> in namespace <c>default</c>; the spec body starts on line 6.</summary>
internal static class SidecarYaml
{
    public const string Header = "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata:\n  name: s\nspec:\n";

    public static string At(int line, string rest) => $"test.yaml:{line}: Sidecar default/s: {rest}";

    public static string Warning(int line, string rest) => $"test.yaml:{line}: warning: Sidecar default/s: {rest}";
}
