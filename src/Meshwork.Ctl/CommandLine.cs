using System.CommandLine;
using Meshwork.Ctl.Commands;

namespace Meshwork.Ctl;

/// <summary>
/// meshctl's command tree. Exit codes are a contract: 0 success, 1 the input has problems,
/// 2 bad usage or unreadable input (always with a one-line reason on stderr).
/// </summary>
public static class CommandLine
{
    public const int Ok = 0;
    public const int Invalid = 1;
    public const int Usage = 2;

    /// <summary>Commands that handle SIGINT and SIGTERM themselves.</summary>
    private static readonly string[] OwnSignals = ["run", "demo"];

    public static async Task<int> RunAsync(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("meshctl: the Meshwork service mesh's operator tool")
        {
            ValidateCommand.Create(stdin, stdout, stderr),
            ProxyStatusCommand.Create(stdout, stderr),
            ProxyConfigCommand.Create(stdout, stderr),
            BenchCommand.Create(stdout, stderr),
            TokenCommand.Create(stdout, stderr),
            RunCommand.Create(stdout, stderr),
            DemoCommand.Create(stdin, stdout, stderr),
            ExperimentalCommand.Create(stdout, stderr),
            VersionCommand.Create(stdout),
        };

        var parse = root.Parse(args, new ParserConfiguration());
        if (parse.Errors.Count > 0)
        {
            // An unknown word explains the problem better than the "command required" that follows from it.
            var error = parse.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parse.Errors[0];
            var oneLine = string.Join(' ', error.Message.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            await stderr.WriteLineAsync($"meshctl: {oneLine} (see 'meshctl --help')");
            return Usage;
        }

        try
        {
            var invocation = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
            if (OwnSignals.Contains(parse.CommandResult.Command.Name))
            {
                // These stop their child processes in order on SIGINT/SIGTERM, which may take longer
                // than the parser's 2 s before it would end the process.
                invocation.ProcessTerminationTimeout = null;
            }

            return await parse.InvokeAsync(invocation);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Last line of defence: never a stack trace, always a reason and a non-zero exit.
            await stderr.WriteLineAsync($"meshctl: internal error: {e.GetType().Name}: {e.Message}");
            return Usage;
        }
    }
}
