using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Networking;

/// <summary>
/// Wraps a VirtualService spec in its envelope so rule tests show only what they test. The envelope is
/// five lines (apiVersion, kind, metadata, name, spec), so the spec's first line is line 6 of test.yaml,
/// and the resource is <c>VirtualService default/r</c>.
/// </summary>
internal static class VirtualServiceYaml
{
    public const string Prefix = "test.yaml";

    public static string Doc(string spec) =>
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: r\nspec:\n"
        + string.Join("\n", spec.Split('\n').Select(line => "  " + line));

    public static string[] Errors(string spec) => Validate.Errors(Doc(spec));

    public static string[] Warnings(string spec) => Validate.Warnings(Doc(spec));

    public static void Valid(string spec) => Validate.Valid(Doc(spec));

    /// <summary>The formatted error line for a finding at <paramref name="line"/> of test.yaml.</summary>
    public static string Error(int line, string pathAndMessage) => $"{Prefix}:{line}: VirtualService default/r: {pathAndMessage}";

    public static string Warning(int line, string pathAndMessage) => $"{Prefix}:{line}: warning: VirtualService default/r: {pathAndMessage}";
}
