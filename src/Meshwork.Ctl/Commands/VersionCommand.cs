using System.CommandLine;
using System.Reflection;

namespace Meshwork.Ctl.Commands;

/// <summary><c>meshctl version</c>: the client's version.</summary>
internal static class VersionCommand
{
    public static Command Create(TextWriter stdout)
    {
        var command = new Command("version", "Print meshctl's version");
        command.SetAction(_ =>
        {
            var version = typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            stdout.WriteLine($"meshctl version {version}");
            return CommandLine.Ok;
        });
        return command;
    }
}
