namespace Meshwork.Proxy.Tracing;

/// <summary>The propagation format a tracer writes first: B3 multi-header (Envoy's Zipkin tracer) or W3C trace context (its OpenTelemetry tracer).</summary>
internal enum TraceFormat
{
    B3,
    W3C,
}

/// <summary>
/// Reading and writing the trace headers: W3C <c>traceparent</c>/<c>tracestate</c>, B3 multi-header
/// (<c>x-b3-traceid</c>, <c>-spanid</c>, <c>-parentspanid</c>, <c>-sampled</c>, <c>-flags</c>) and
/// B3 single (<c>b3</c>). The tracer's own format is read first, then the others; a malformed header
/// is ignored as if absent. Writing sets the tracer's format and rewrites any other format the request
/// already carries, so an app that copies whichever headers it knows still joins the same span.
/// </summary>
internal static class TraceHeaders
{
    public const string TraceParent = "traceparent";
    public const string TraceStateHeader = "tracestate";
    public const string B3TraceId = "x-b3-traceid";
    public const string B3SpanId = "x-b3-spanid";
    public const string B3ParentSpanId = "x-b3-parentspanid";
    public const string B3Sampled = "x-b3-sampled";
    public const string B3Flags = "x-b3-flags";
    public const string B3Single = "b3";

    /// <summary>The incoming parent context (null: none or malformed) and the upstream's sampling decision (null: none was made).</summary>
    public static (TraceContext? Parent, bool? Sampled) Extract(IHeaderDictionary headers, TraceFormat format)
    {
        var w3c = W3C(headers);
        var b3 = B3Multi(headers);
        var single = B3SingleHeader(headers);
        var ordered = format == TraceFormat.W3C ? (w3c, b3, single) : (b3, single, w3c);
        var found = ordered.Item1.Parent ?? ordered.Item2.Parent ?? ordered.Item3.Parent;
        var sampled = found?.Sampled ?? ordered.Item1.Sampled ?? ordered.Item2.Sampled ?? ordered.Item3.Sampled;
        return (found, sampled);
    }

    /// <summary>Writes <paramref name="span"/> (this hop's span: the upstream's parent) in the tracer's format and in every other format present.</summary>
    public static void Inject(IHeaderDictionary headers, TraceContext span, bool sampled, TraceFormat format)
    {
        if (format == TraceFormat.B3 || headers.ContainsKey(B3TraceId))
        {
            headers[B3TraceId] = span.TraceIdHex;
            headers[B3SpanId] = span.SpanIdHex;
            if (span.ParentId != 0)
            {
                headers[B3ParentSpanId] = span.ParentIdHex;
            }
            else
            {
                headers.Remove(B3ParentSpanId);
            }

            headers[B3Sampled] = sampled ? "1" : "0";
        }

        if (headers.ContainsKey(B3Single))
        {
            var parent = span.ParentId != 0 ? "-" + span.ParentIdHex : string.Empty;
            headers[B3Single] = $"{span.TraceIdHex}-{span.SpanIdHex}-{(sampled ? '1' : '0')}{parent}";
        }

        if (format == TraceFormat.W3C || headers.ContainsKey(TraceParent))
        {
            headers[TraceParent] = $"00-{span.TraceId128Hex}-{span.SpanIdHex}-{(sampled ? "01" : "00")}";
            if (span.TraceState is { Length: > 0 } state)
            {
                headers[TraceStateHeader] = state;
            }
        }
    }

    /// <summary>W3C trace-context level 1: <c>VERSION-TRACEID-PARENTID-FLAGS</c>; version ff and all-zero ids are invalid; a later version may append fields.</summary>
    private static (TraceContext? Parent, bool? Sampled) W3C(IHeaderDictionary headers)
    {
        if (!headers.TryGetValue(TraceParent, out var values) || values.Count != 1 || values[0] is not { } value)
        {
            return default;
        }

        var text = value.AsSpan().Trim();
        if (text.Length < 55 || text[2] != '-' || text[35] != '-' || text[52] != '-'
            || !byte.TryParse(text[..2], System.Globalization.NumberStyles.AllowHexSpecifier, null, out var version)
            || version == 0xff || (version == 0 && text.Length != 55) || (text.Length > 55 && text[55] != '-')
            || !TraceContext.TryParseTraceId(text[3..35], out var high, out var low)
            || !TraceContext.TryParseHex64(text[36..52], out var parent) || parent == 0
            || !byte.TryParse(text[53..55], System.Globalization.NumberStyles.AllowHexSpecifier, null, out var flags))
        {
            return default;
        }

        var state = headers.TryGetValue(TraceStateHeader, out var states) && states.Count > 0 ? string.Join(',', states.ToArray()) : null;
        var sampled = (flags & 1) != 0;
        return (new TraceContext(high, low, parent, 0, sampled, state), sampled);
    }

    private static (TraceContext? Parent, bool? Sampled) B3Multi(IHeaderDictionary headers)
    {
        bool? sampled = null;
        if (Single(headers, B3Flags) == "1")
        {
            sampled = true; // debug implies sampled
        }
        else if (Single(headers, B3Sampled) is { } flag)
        {
            sampled = flag switch
            {
                "1" or "true" => true,
                "0" or "false" => false,
                _ => null,
            };
        }

        if (Single(headers, B3TraceId) is not { } traceId || Single(headers, B3SpanId) is not { } spanId
            || !TraceContext.TryParseTraceId(traceId, out var high, out var low)
            || !TraceContext.TryParseHex64(spanId, out var span) || span == 0)
        {
            return (null, sampled);
        }

        var parent = 0UL;
        if (Single(headers, B3ParentSpanId) is { } parentId && !TraceContext.TryParseHex64(parentId, out parent))
        {
            return (null, sampled);
        }

        return (new TraceContext(high, low, span, parent, sampled, null), sampled);
    }

    /// <summary>B3 single: <c>TRACEID-SPANID[-SAMPLING[-PARENTSPANID]]</c>, or a decision alone (<c>0</c>, <c>1</c>, <c>d</c>).</summary>
    private static (TraceContext? Parent, bool? Sampled) B3SingleHeader(IHeaderDictionary headers)
    {
        if (Single(headers, B3Single) is not { } value)
        {
            return default;
        }

        var parts = value.Split('-');
        if (parts.Length == 1)
        {
            return (null, Decision(parts[0]));
        }

        if (parts.Length > 4 || !TraceContext.TryParseTraceId(parts[0], out var high, out var low)
            || !TraceContext.TryParseHex64(parts[1], out var span) || span == 0)
        {
            return default;
        }

        bool? sampled = null;
        if (parts.Length >= 3 && (sampled = Decision(parts[2])) == null)
        {
            return default;
        }

        var parent = 0UL;
        if (parts.Length == 4 && !TraceContext.TryParseHex64(parts[3], out parent))
        {
            return default;
        }

        return (new TraceContext(high, low, span, parent, sampled, null), sampled);
    }

    private static bool? Decision(string text) => text switch
    {
        "1" or "d" => true,
        "0" => false,
        _ => null,
    };

    private static string? Single(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var values) && values.Count == 1 && values[0] is { Length: > 0 } value ? value.Trim() : null;
}
