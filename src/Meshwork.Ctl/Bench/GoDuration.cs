using System.Globalization;
using System.Text.RegularExpressions;

namespace Meshwork.Ctl.Bench;

/// <summary>
/// Go's <c>time.ParseDuration</c> syntax, as fortio and istioctl take durations: a sequence of decimal
/// numbers with a unit each (<c>ns</c>, <c>us</c>/<c>µs</c>, <c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c>),
/// such as <c>10s</c>, <c>500ms</c>, <c>1m30s</c> or <c>1.5s</c>; a bare <c>0</c> is zero. No sign.
/// </summary>
internal static partial class GoDuration
{
    [GeneratedRegex(@"\G(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)", RegexOptions.CultureInvariant)]
    private static partial Regex Part();

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        if (text == "0")
        {
            return true;
        }

        decimal nanoseconds = 0;
        var at = 0;
        while (at < text.Length)
        {
            var match = Part().Match(text, at);
            if (!match.Success)
            {
                return false;
            }

            var number = decimal.Parse(match.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            nanoseconds += number * match.Groups[2].Value switch
            {
                "ns" => 1m,
                "us" or "µs" or "μs" => 1_000m,
                "ms" => 1_000_000m,
                "s" => 1_000_000_000m,
                "m" => 60_000_000_000m,
                _ => 3_600_000_000_000m,
            };
            if (nanoseconds > (decimal)TimeSpan.MaxValue.Ticks * 100)
            {
                return false;
            }

            at += match.Length;
        }

        value = TimeSpan.FromTicks((long)Math.Round(nanoseconds / 100m));
        return true;
    }

    /// <summary>The shortest Go-style text for a duration (<c>10s</c>, <c>500ms</c>, <c>1.5s</c>).</summary>
    public static string Format(TimeSpan value) => value.TotalSeconds switch
    {
        0 => "0s",
        >= 60 when value.TotalSeconds % 60 == 0 => (value.TotalSeconds / 60).ToString(CultureInfo.InvariantCulture) + "m",
        >= 1 => value.TotalSeconds.ToString(CultureInfo.InvariantCulture) + "s",
        _ => value.TotalMilliseconds.ToString(CultureInfo.InvariantCulture) + "ms",
    };
}
