using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Meshwork.Ctl.Bench;

/// <summary>
/// Sleeps until a <see cref="Stopwatch"/> timestamp with tens of microseconds of accuracy and without
/// spinning a core. .NET's timers and <c>Thread.Sleep</c> work in whole milliseconds, and an open-loop
/// generator that sends up to a millisecond late adds that to every latency it reports (they are taken
/// from the intended send time). On Linux the dispatcher thread sleeps with
/// <c>clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)</c> (the clock Stopwatch reads) with the thread's
/// timer slack cut from 50 µs to 1 µs; elsewhere it sleeps to within 2 ms and spins the rest.
/// </summary>
internal static class PreciseClock
{
    private const int ClockMonotonic = 1;
    private const int TimerAbstime = 1;
    private const int PrSetTimerslack = 29;
    private const int Eintr = 4;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_nanosleep")]
    private static extern int ClockNanosleep(int clock, int flags, ref Timespec request, IntPtr remain);

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGettime(int clock, out Timespec now);

    [DllImport("libc", EntryPoint = "prctl")]
    private static extern int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    private static readonly Lazy<bool> NativeUsable = new(ProbeNative);

    /// <summary>Whether sleeps use clock_nanosleep (for the report); false means sleep-then-spin.</summary>
    public static bool IsNative => NativeUsable.Value;

    /// <summary>Call once on the thread that will sleep: lowers its timer slack where the OS allows.</summary>
    public static void PrepareThread()
    {
        if (NativeUsable.Value)
        {
            _ = Prctl(PrSetTimerslack, 1, 0, 0, 0);
        }
    }

    public static void SleepUntil(long timestamp)
    {
        if (NativeUsable.Value)
        {
            var request = new Timespec { Seconds = timestamp / 1_000_000_000, Nanoseconds = timestamp % 1_000_000_000 };
            int rc;
            do
            {
                rc = ClockNanosleep(ClockMonotonic, TimerAbstime, ref request, IntPtr.Zero);
            }
            while (rc == Eintr);
            return;
        }

        long remaining;
        while ((remaining = timestamp - Stopwatch.GetTimestamp()) > 0)
        {
            var ms = remaining * 1000 / Stopwatch.Frequency;
            if (ms > 2)
            {
                Thread.Sleep((int)Math.Min(ms - 2, int.MaxValue));
            }
            else
            {
                Thread.SpinWait(20);
            }
        }
    }

    /// <summary>Stopwatch must read CLOCK_MONOTONIC in nanoseconds for absolute sleeps to mean the same instant.</summary>
    private static bool ProbeNative()
    {
        if (!OperatingSystem.IsLinux() || Stopwatch.Frequency != 1_000_000_000)
        {
            return false;
        }

        try
        {
            var before = Stopwatch.GetTimestamp();
            if (ClockGettime(ClockMonotonic, out var now) != 0)
            {
                return false;
            }

            var after = Stopwatch.GetTimestamp();
            var native = (now.Seconds * 1_000_000_000) + now.Nanoseconds;
            return native >= before - 1_000_000 && native <= after + 1_000_000;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
