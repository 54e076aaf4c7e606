using System.CommandLine;
using Meshwork.Config.Diagnostics;
using Meshwork.Config.Loading;
using Meshwork.Config.Validation;

namespace Meshwork.Ctl.Commands;

/// <summary>
/// <c>meshctl validate -f PATH...</c>: reads Istio config offline and runs the same rules meshd runs.
/// Prints one line per problem (<c>FILE:LINE: KIND NS/NAME: FIELD: MESSAGE</c>) and exits 1 on any error;
/// prints <c>OK: N resources in M files</c> and exits 0 otherwise (warnings are printed, not fatal).
/// </summary>
internal static class ValidateCommand
{
    public static Command Create(TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var files = new Option<string[]>("--filename", "-f")
        {
            Description = "A file or directory (.yaml, .yml, .json, searched recursively) to validate; '-' reads stdin. Repeatable.",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("validate", "Validate Istio configuration files (VirtualService, DestinationRule, Gateway, ...)") { files };
        command.SetAction(parse => Run(parse.GetValue(files) ?? [], stdin, stdout, stderr));
        return command;
    }

    internal static int Run(IReadOnlyList<string> paths, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var inputs = InputFiles.Expand(paths);
        if (inputs.Problem is { } problem)
        {
            stderr.WriteLine($"meshctl: {problem}");
            return CommandLine.Usage;
        }

        var resources = 0;
        var skipped = 0;
        var errors = 0;
        var filesWithErrors = 0;
        foreach (var input in inputs.Files)
        {
            var read = input.Path != "-" ? ConfigReader.ReadFile(input.Path, input.DisplayName)
                : stdin == Console.In ? ReadStdin()
                : ConfigReader.ReadText(stdin.ReadToEnd(), "<stdin>");
            var outcome = ConfigValidator.Complete(read);
            foreach (var diagnostic in outcome.Diagnostics)
            {
                stdout.WriteLine(diagnostic.ToString());
            }

            var fileErrors = outcome.Errors.Count();
            errors += fileErrors;
            filesWithErrors += fileErrors > 0 ? 1 : 0;
            resources += outcome.Resources.Count;
            skipped += outcome.Skipped;
        }

        if (skipped > 0)
        {
            stderr.WriteLine($"note: {skipped} resource{Plural(skipped)} of kinds outside Meshwork's model (Kubernetes Service, Deployment, ...) not validated");
        }

        if (errors > 0)
        {
            stderr.WriteLine($"FAILED: {errors} error{Plural(errors)} in {filesWithErrors} of {inputs.Files.Count} file{Plural(inputs.Files.Count)}");
            return CommandLine.Invalid;
        }

        stdout.WriteLine($"OK: {resources} resource{Plural(resources)} in {inputs.Files.Count} file{Plural(inputs.Files.Count)}");
        return CommandLine.Ok;
    }

    private static ReadOutcome ReadStdin()
    {
        var bytes = ConfigReader.ReadBounded(Console.OpenStandardInput());
        return bytes == null
            ? new ReadOutcome([], [new ConfigDiagnostic(Severity.Error, "<stdin>", 1, $"input is larger than the {ConfigReader.MaxFileBytes / (1024 * 1024)} MiB limit")], 0)
            : ConfigReader.ReadBytes(bytes, "<stdin>");
    }

    private static string Plural(int n) => n == 1 ? string.Empty : "s";
}
