namespace Meshwork.Config.Tests.Validation.Networking;

/// <summary>The first five lines of a DestinationRule named <c>r</c> in namespace <c>default</c>; the spec body starts on line 6.</summary>
internal static class DestinationRuleYaml
{
    public const string Header = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: r\nspec:\n";

    public const string Prefix = "test.yaml:{0}: DestinationRule default/r: ";

    public static string At(int line, string rest) => string.Format(System.Globalization.CultureInfo.InvariantCulture, Prefix, line) + rest;

    public static string Warning(int line, string rest) => $"test.yaml:{line}: warning: DestinationRule default/r: {rest}";
}
