using System.Globalization;
using System.Text;

namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// An Envoy access-log format string (text, or the values of a JSON format) compiled once:
/// literals and command operators (<c>%START_TIME%</c>, <c>%REQ(X?Y):N%</c>, <c>%RESPONSE_CODE%</c>, ...);
/// an operator with no value prints <c>-</c>, as Envoy's. Istio's default text and JSON formats,
/// which meshd sends (Pilot's <c>AccessLogs</c>), use only operators listed here; an unknown one is
/// a config error naming it.
/// </summary>
internal sealed class AccessLogFormat
{
    /// <summary>Envoy's own default format, used when an access log names none.</summary>
    public const string EnvoyDefault =
        "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" %RESPONSE_CODE% %RESPONSE_FLAGS% "
        + "%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% \"%REQ(X-FORWARDED-FOR)%\" "
        + "\"%REQ(USER-AGENT)%\" \"%REQ(X-REQUEST-ID)%\" \"%REQ(:AUTHORITY)%\" \"%UPSTREAM_HOST%\"\n";

    private readonly Func<AccessLogRecord, string?>[] _parts;
    private readonly bool[] _numeric;

    private AccessLogFormat(Func<AccessLogRecord, string?>[] parts, bool[] numeric)
    {
        _parts = parts;
        _numeric = numeric;
    }

    /// <summary>True when the format is exactly one numeric operator (JSON writes such a value as a number, as Envoy).</summary>
    public bool IsNumber => _parts.Length == 1 && _numeric[0];

    public static AccessLogFormat Compile(string format, string where)
    {
        var parts = new List<Func<AccessLogRecord, string?>>();
        var numeric = new List<bool>();
        var literal = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%')
            {
                literal.Append(format[i]);
                continue;
            }

            var end = format.IndexOf('%', i + 1);
            if (end < 0)
            {
                throw new ProxyConfigException($"{where}: unterminated command operator at position {i} in \"{format}\"");
            }

            if (end == i + 1)
            {
                literal.Append('%'); // "%%" is a literal percent sign
                i = end;
                continue;
            }

            if (literal.Length > 0)
            {
                var text = literal.ToString();
                parts.Add(_ => text);
                numeric.Add(false);
                literal.Clear();
            }

            var (operatorPart, isNumber) = Operator(format[(i + 1)..end], where);
            parts.Add(operatorPart);
            numeric.Add(isNumber);
            i = end;
        }

        if (literal.Length > 0)
        {
            var text = literal.ToString();
            parts.Add(_ => text);
            numeric.Add(false);
        }

        return new AccessLogFormat([.. parts], [.. numeric]);
    }

    /// <summary>The formatted text; an operator without a value prints "-".</summary>
    public string Format(AccessLogRecord record)
    {
        var text = new StringBuilder();
        AppendTo(text, record);
        return text.ToString();
    }

    public void AppendTo(StringBuilder text, AccessLogRecord record)
    {
        foreach (var part in _parts)
        {
            var value = part(record);
            text.Append(string.IsNullOrEmpty(value) ? "-" : value);
        }
    }

    /// <summary>The single operator's value, or null when it has none (JSON writes null then, as Envoy).</summary>
    public string? Value(AccessLogRecord record)
    {
        if (_parts.Length == 1)
        {
            var value = _parts[0](record);
            return string.IsNullOrEmpty(value) ? null : value;
        }

        return Format(record);
    }

    /// <summary>The operators besides REQ/RESP: how each reads the record, and whether it is a number.</summary>
    private static readonly Dictionary<string, (Func<AccessLogRecord, string?> Value, bool Number)> Operators = new(StringComparer.Ordinal)
    {
        ["START_TIME"] = (r => r.StartTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), false),
        ["PROTOCOL"] = (r => r.Protocol, false),
        ["RESPONSE_CODE"] = (r => r.ResponseCode.ToString(CultureInfo.InvariantCulture), true),
        ["RESPONSE_FLAGS"] = (r => r.ResponseFlags, false),
        ["RESPONSE_CODE_DETAILS"] = (r => r.ResponseCodeDetails, false),
        ["CONNECTION_TERMINATION_DETAILS"] = (r => r.ConnectionTerminationDetails, false),
        ["UPSTREAM_TRANSPORT_FAILURE_REASON"] = (r => r.UpstreamTransportFailureReason, false),
        ["BYTES_RECEIVED"] = (r => r.BytesReceived.ToString(CultureInfo.InvariantCulture), true),
        ["BYTES_SENT"] = (r => r.BytesSent.ToString(CultureInfo.InvariantCulture), true),
        ["DURATION"] = (r => ((long)r.Duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), true),
        ["UPSTREAM_HOST"] = (r => r.UpstreamHost, false),
        ["UPSTREAM_CLUSTER"] = (r => r.UpstreamCluster, false),
        ["UPSTREAM_CLUSTER_RAW"] = (r => r.UpstreamCluster, false),
        ["UPSTREAM_LOCAL_ADDRESS"] = (r => r.UpstreamLocalAddress?.ToString(), false),
        ["DOWNSTREAM_LOCAL_ADDRESS"] = (r => r.DownstreamLocalAddress?.ToString(), false),
        ["DOWNSTREAM_REMOTE_ADDRESS"] = (r => r.DownstreamRemoteAddress?.ToString(), false),
        ["DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT"] = (r => r.DownstreamRemoteAddress?.Address.ToString(), false),
        ["REQUESTED_SERVER_NAME"] = (r => r.RequestedServerName, false),
        ["ROUTE_NAME"] = (r => r.RouteName, false),
    };

    private static (Func<AccessLogRecord, string?>, bool) Operator(string body, string where)
    {
        var maxLength = int.MaxValue;
        var colon = body.LastIndexOf(':');
        if (colon > 0 && body[^1] != ')' && int.TryParse(body[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            maxLength = parsed;
            body = body[..colon];
        }

        Func<AccessLogRecord, string?> value;
        var number = false;
        if (body.StartsWith("REQ(", StringComparison.Ordinal) && body.EndsWith(')'))
        {
            value = Header(body[4..^1], request: true);
        }
        else if (body.StartsWith("RESP(", StringComparison.Ordinal) && body.EndsWith(')'))
        {
            value = Header(body[5..^1], request: false);
        }
        else
        {
            if (!Operators.TryGetValue(body, out var known))
            {
                throw new ProxyConfigException($"{where}: unknown command operator %{body}%");
            }

            (value, number) = known;
        }

        if (maxLength == int.MaxValue)
        {
            return (value, number);
        }

        return (r => value(r) is { } text && text.Length > maxLength ? text[..maxLength] : value(r), number);
    }

    /// <summary>REQ(X?Y): header X, else Y; names compare case-insensitively.</summary>
    private static Func<AccessLogRecord, string?> Header(string names, bool request)
    {
        var split = names.Split('?', 2);
        var first = split[0].ToLowerInvariant();
        var fallback = split.Length > 1 ? split[1].ToLowerInvariant() : null;
        return request
            ? r => r.RequestHeader(first) ?? (fallback != null ? r.RequestHeader(fallback) : null)
            : r => r.ResponseHeader(first) ?? (fallback != null ? r.ResponseHeader(fallback) : null);
    }
}
