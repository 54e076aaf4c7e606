using System.Globalization;

namespace Meshwork.Proxy.Tracing;

/// <summary>
/// A span's place in a trace as the propagation headers carry it: the trace id (128-bit, or 64-bit
/// when <see cref="TraceIdHigh"/> is 0, as B3 allows), the span id, the parent's span id (0: none),
/// the sampling decision when one was made upstream (null: none), and W3C <c>tracestate</c>.
/// </summary>
internal readonly record struct TraceContext(ulong TraceIdHigh, ulong TraceIdLow, ulong SpanId, ulong ParentId, bool? Sampled, string? TraceState)
{
    public bool Is128Bit => TraceIdHigh != 0;

    /// <summary>The trace id in hex: 32 digits for a 128-bit id, 16 for a 64-bit one (B3's and Zipkin's form).</summary>
    public string TraceIdHex => Is128Bit ? Hex(TraceIdHigh) + Hex(TraceIdLow) : Hex(TraceIdLow);

    /// <summary>The trace id as W3C and OTLP carry it: always 32 digits (a 64-bit id is zero-padded on the left).</summary>
    public string TraceId128Hex => Hex(TraceIdHigh) + Hex(TraceIdLow);

    public string SpanIdHex => Hex(SpanId);

    public string ParentIdHex => Hex(ParentId);

    public static string Hex(ulong value) => value.ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>Parses exactly 16 hex digits (either case); zero is invalid as a span or trace id part only where the caller says so.</summary>
    public static bool TryParseHex64(ReadOnlySpan<char> text, out ulong value)
    {
        value = 0;
        return text.Length == 16 && IsHex(text) && ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>A trace id of 16 or 32 hex digits, not all zeros.</summary>
    public static bool TryParseTraceId(ReadOnlySpan<char> text, out ulong high, out ulong low)
    {
        high = 0;
        low = 0;
        var ok = text.Length switch
        {
            16 => TryParseHex64(text, out low),
            32 => TryParseHex64(text[..16], out high) && TryParseHex64(text[16..], out low),
            _ => false,
        };
        return ok && (high != 0 || low != 0);
    }

    private static bool IsHex(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
