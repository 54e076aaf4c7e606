using System.Diagnostics;

namespace Meshwork.Ctl.Workloads;

/// <summary>
/// Starts a program with its output in a log file: a shell opens the file and then becomes the
/// program (<c>exec</c>: same PID, so signals and the orphan watchdog reach the program itself),
/// and the program keeps logging without meshctl pumping its output.
/// </summary>
internal static class LoggedProcess
{
    /// <summary>Starts <paramref name="start"/> (its file, arguments and environment) writing stdout and stderr to <paramref name="logPath"/>.</summary>
    public static Process Start(ProcessStartInfo start, string logPath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logPath))!);
        var shell = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var arg in (string[])["-c", "exec \"$@\" >\"$0\" 2>&1", logPath, start.FileName, .. start.ArgumentList])
        {
            shell.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in start.Environment)
        {
            shell.Environment[name] = value;
        }

        return Process.Start(shell) ?? throw new WorkloadException($"cannot start {start.FileName}");
    }
}
