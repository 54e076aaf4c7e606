using System.Diagnostics;

namespace Meshwork.Config.Tests.Support;

/// <summary>Waits for a condition with a bounded timeout, polling; the condition is the check, never the wait.</summary>
public static class Eventually
{
    public static Task True(Func<bool> condition, string what, int timeoutMs = 10_000) => True(condition, () => what, timeoutMs);

    public static async Task True(Func<bool> condition, Func<string> what, int timeoutMs = 10_000)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.ElapsedMilliseconds > timeoutMs)
            {
                Assert.Fail($"timed out after {timeoutMs} ms waiting for: {what()}");
            }

            await Task.Delay(20);
        }
    }
}
