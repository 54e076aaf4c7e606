using System.Collections.Concurrent;
using System.Diagnostics;

namespace Meshwork.Meshd.Tests;

/// <summary>
/// Every process these tests start, so none outlives the test run: each owner stops its own
/// (MeshdProcess, ProxyProcess, ... on dispose), and when the test host exits, any still running
/// because a fixture failed half-way is killed here, by the process this host started.
/// </summary>
internal static class ChildProcesses
{
    private static readonly ConcurrentDictionary<Process, byte> Started = new();

    static ChildProcesses() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillRemaining();

    public static Process Start(ProcessStartInfo start)
    {
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start");
        Started.TryAdd(process, 0);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => Started.TryRemove(process, out _);
        return process;
    }

    private static void KillRemaining()
    {
        foreach (var process in Started.Keys)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Exited or disposed meanwhile: nothing left to stop.
            }
        }
    }
}
