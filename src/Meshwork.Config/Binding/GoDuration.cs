using System.Globalization;
using System.Text;

namespace Meshwork.Config.Binding;

/// <summary>
/// Istio durations as users write them: Go's duration syntax (<c>1.5s</c>, <c>100ms</c>, <c>1h30m</c>, <c>-2s</c>, <c>0</c>).
/// protojson's <c>"1.5s"</c> form is a subset, so both read the same.
/// </summary>
public static class GoDuration
{
    private static readonly (string Unit, decimal Nanos)[] Units =
    [
        ("ns", 1m), ("us", 1_000m), ("µs", 1_000m), ("μs", 1_000m), ("ms", 1_000_000m),
        ("s", 1_000_000_000m), ("m", 60_000_000_000m), ("h", 3_600_000_000_000m),
    ];

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        var s = text.AsSpan();
        if (s.IsEmpty)
        {
            return false;
        }

        var negative = false;
        if (s[0] is '-' or '+')
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        if (s is "0")
        {
            return true;
        }

        if (s.IsEmpty)
        {
            return false;
        }

        decimal totalNanos = 0;
        while (!s.IsEmpty)
        {
            var numberLength = 0;
            while (numberLength < s.Length && (char.IsAsciiDigit(s[numberLength]) || s[numberLength] == '.'))
            {
                numberLength++;
            }

            if (numberLength == 0 || !decimal.TryParse(s[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            s = s[numberLength..];
            var unitLength = 0;
            while (unitLength < s.Length && !char.IsAsciiDigit(s[unitLength]) && s[unitLength] != '.')
            {
                unitLength++;
            }

            var unit = s[..unitLength].ToString();
            var factor = Array.FindIndex(Units, u => u.Unit == unit);
            if (factor < 0)
            {
                return false;
            }

            try
            {
                totalNanos += number * Units[factor].Nanos;
            }
            catch (OverflowException)
            {
                return false;
            }

            s = s[unitLength..];
        }

        var ticks = totalNanos / 100m;
        if (ticks > TimeSpan.MaxValue.Ticks)
        {
            return false;
        }

        value = TimeSpan.FromTicks((long)decimal.Round(ticks));
        if (negative)
        {
            value = -value;
        }

        return true;
    }

    /// <summary>Formats as Go does (<c>1.5s</c>, <c>100ms</c>, <c>1h0m0s</c>), for messages that quote a value back.</summary>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "0s";
        }

        var sb = new StringBuilder();
        if (value < TimeSpan.Zero)
        {
            sb.Append('-');
            value = value.Duration();
        }

        if (value < TimeSpan.FromSeconds(1))
        {
            var micros = value.Ticks / 10m;
            return sb.Append(micros >= 1000 ? (micros / 1000m).ToString("0.######", CultureInfo.InvariantCulture) + "ms" : micros.ToString("0.#", CultureInfo.InvariantCulture) + "µs").ToString();
        }

        var hours = (long)value.TotalHours;
        if (hours > 0)
        {
            sb.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
        }

        if (hours > 0 || value.Minutes > 0)
        {
            sb.Append(value.Minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        }

        var seconds = value.Seconds + ((value.Ticks % TimeSpan.TicksPerSecond) / (decimal)TimeSpan.TicksPerSecond);
        sb.Append(seconds.ToString("0.#########", CultureInfo.InvariantCulture)).Append('s');
        return sb.ToString();
    }
}
