using System.Runtime.InteropServices;

namespace Meshwork.Ctl.Workloads;

/// <summary>Signals to processes meshctl started, by PID (never by name).</summary>
internal static class Posix
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    public static void Signal(int pid, int signal)
    {
        if (OperatingSystem.IsWindows())
        {
            // No signals there: ending the process is the only stop there is.
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                process.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
            }

            return;
        }

        _ = Kill(pid, signal);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
