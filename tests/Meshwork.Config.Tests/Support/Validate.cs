using Meshwork.Config.Validation;

namespace Meshwork.Config.Tests.Support;

/// <summary>Reads and validates YAML text as a file named <c>test.yaml</c>, and gives back the formatted diagnostics.</summary>
public static class Validate
{
    public const string File = "test.yaml";

    public static ValidationOutcome Yaml(string yaml) => ConfigValidator.ValidateText(yaml, File);

    /// <summary>Every error line, formatted as meshctl prints it (<c>test.yaml:14: VirtualService ns/name: spec...: message</c>).</summary>
    public static string[] Errors(string yaml) => Yaml(yaml).Errors.Select(d => d.ToString()).ToArray();

    public static string[] Warnings(string yaml) => Yaml(yaml).Warnings.Select(d => d.ToString()).ToArray();

    /// <summary>Asserts the YAML reads and validates with no error (warnings allowed).</summary>
    public static void Valid(string yaml)
    {
        var outcome = Yaml(yaml);
        Assert.True(outcome.IsValid, "expected valid, got:\n" + string.Join("\n", outcome.Errors));
        Assert.NotEmpty(outcome.Resources);
    }
}
