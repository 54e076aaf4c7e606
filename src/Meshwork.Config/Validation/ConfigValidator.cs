using Meshwork.Config.Diagnostics;
using Meshwork.Config.Loading;
using Meshwork.Config.Resources;

namespace Meshwork.Config.Validation;

/// <summary>
/// Runs every rule over a resource. The CLI, the config store and (later) the admission webhook
/// all validate through here, so they agree.
/// </summary>
public static class ConfigValidator
{
    public static IReadOnlyList<IValidationRule> Rules { get; } =
    [
        .. Networking.NetworkingRules.All,
        .. Security.SecurityRules.All,
        .. Telemetry.TelemetryRules.All,
        .. Mixer.MixerRules.All,
    ];

    public static IReadOnlyList<ConfigDiagnostic> Validate(ConfigResource resource)
    {
        var diagnostics = new List<ConfigDiagnostic>();
        var context = new RuleContext(resource, diagnostics);
        foreach (var rule in Rules)
        {
            try
            {
                rule.Validate(resource, context);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A rule bug must not hide the rest of the report or crash the caller.
                diagnostics.Add(new ConfigDiagnostic(Severity.Error, resource.Source.File, resource.Source.Line, $"internal error in {rule.GetType().Name}: {e.Message}")
                {
                    Resource = resource.ToString(),
                });
            }
        }

        return diagnostics;
    }

    /// <summary>Reads and validates text in one step: every read problem and every rule finding, in file order.</summary>
    public static ValidationOutcome ValidateText(string text, string file) => Complete(ConfigReader.ReadText(text, file));

    private static bool Related(string a, string b) => IsWithin(a, b) || IsWithin(b, a);

    private static bool IsWithin(string inner, string outer) =>
        inner.StartsWith(outer, StringComparison.Ordinal) && (inner.Length == outer.Length || inner[outer.Length] is '.' or '[');

    public static ValidationOutcome Complete(ReadOutcome read)
    {
        var diagnostics = new List<ConfigDiagnostic>(read.Diagnostics);
        var valid = new List<ConfigResource>();
        foreach (var resource in read.Resources)
        {
            var found = Validate(resource);
            diagnostics.AddRange(found);
            if (!found.Any(d => d.IsError))
            {
                valid.Add(resource);
            }
        }

        foreach (var partial in read.Partial)
        {
            // A field that failed to bind is left unset; a rule finding on that field, inside it or
            // around it would only echo the binding error, so those are dropped.
            diagnostics.AddRange(Validate(partial.Resource).Where(d => !partial.ErrorPaths.Any(p => Related(p, d.Path ?? string.Empty))));
        }

        // Report in source order: by file as first met, then by line (a stable sort keeps rule order within a line).
        var fileOrder = diagnostics.Select(d => d.File).Distinct().Select((f, i) => (f, i)).ToDictionary(x => x.f, x => x.i);
        var ordered = diagnostics.OrderBy(d => fileOrder[d.File]).ThenBy(d => d.Line).ToList();
        return new ValidationOutcome(read.Resources, valid, ordered, read.Skipped);
    }
}

/// <summary>The result of reading and validating: all resources read, those without errors, and every diagnostic.</summary>
public sealed record ValidationOutcome(
    IReadOnlyList<ConfigResource> Resources,
    IReadOnlyList<ConfigResource> Valid,
    IReadOnlyList<ConfigDiagnostic> Diagnostics,
    int Skipped)
{
    public IEnumerable<ConfigDiagnostic> Errors => Diagnostics.Where(d => d.IsError);

    public IEnumerable<ConfigDiagnostic> Warnings => Diagnostics.Where(d => !d.IsError);

    public bool IsValid => !Errors.Any();
}
