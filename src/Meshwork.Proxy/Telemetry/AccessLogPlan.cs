using System.Text;
using System.Text.Json;
using Envoy.Config.Accesslog.V3;
using Envoy.Extensions.AccessLoggers.File.V3;
using Envoy.Extensions.AccessLoggers.Filters.Cel.V3;
using Google.Protobuf.Collections;
using Meshwork.Proxy.Connections;
using Meshwork.Proxy.Telemetry.Cel;

namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// One access_log entry of an HCM or tcp_proxy compiled when its listener arrives: Envoy's file logger
/// with a text or JSON format and an optional filter (status code, response flags, and/or). Per
/// request, the line is formatted on the request's thread and handed to the path's writer.
/// </summary>
internal sealed class AccessLogPlan
{
    public const string FileLogger = "envoy.access_loggers.file";

    private readonly AccessLogWriter _writer;
    private readonly AccessLogFormat? _text;
    private readonly (string Key, AccessLogFormat Format)[]? _json;
    private readonly Func<AccessLogRecord, bool> _filter;

    private AccessLogPlan(AccessLogWriter writer, AccessLogFormat? text, (string, AccessLogFormat)[]? json, Func<AccessLogRecord, bool> filter)
    {
        _writer = writer;
        _text = text;
        _json = json;
        _filter = filter;
    }

    public static IReadOnlyList<AccessLogPlan> CompileAll(RepeatedField<AccessLog> logs, string where) =>
        logs.Select((log, i) => Compile(log, $"{where}: access_log[{i}]")).ToArray();

    public static AccessLogPlan Compile(AccessLog log, string where)
    {
        if (log.TypedConfig == null || !log.TypedConfig.TryUnpack<FileAccessLog>(out var file))
        {
            throw new ProxyConfigException($"{where} \"{log.Name}\": only {FileLogger} ({FileAccessLog.Descriptor.FullName}) is supported");
        }

        if (file.Path.Length == 0)
        {
            throw new ProxyConfigException($"{where}: path is required");
        }

        AccessLogFormat? text = null;
        (string, AccessLogFormat)[]? json = null;
        switch (file.AccessLogFormatCase)
        {
            case FileAccessLog.AccessLogFormatOneofCase.LogFormat when file.LogFormat.FormatCase == Envoy.Config.Core.V3.SubstitutionFormatString.FormatOneofCase.JsonFormat:
                json = Json(file.LogFormat.JsonFormat, $"{where}: log_format.json_format");
                break;
            case FileAccessLog.AccessLogFormatOneofCase.LogFormat when file.LogFormat.FormatCase == Envoy.Config.Core.V3.SubstitutionFormatString.FormatOneofCase.TextFormatSource:
                text = AccessLogFormat.Compile(TlsDataSources.ReadText(file.LogFormat.TextFormatSource, $"{where}: log_format.text_format_source"), $"{where}: log_format");
                break;
            case FileAccessLog.AccessLogFormatOneofCase.LogFormat when file.LogFormat.FormatCase == Envoy.Config.Core.V3.SubstitutionFormatString.FormatOneofCase.TextFormat:
                text = AccessLogFormat.Compile(file.LogFormat.TextFormat, $"{where}: log_format");
                break;
            case FileAccessLog.AccessLogFormatOneofCase.Format:
                text = AccessLogFormat.Compile(file.Format, $"{where}: format");
                break;
            case FileAccessLog.AccessLogFormatOneofCase.JsonFormat:
                json = Json(file.JsonFormat, $"{where}: json_format");
                break;
            case FileAccessLog.AccessLogFormatOneofCase.TypedJsonFormat:
                json = Json(file.TypedJsonFormat, $"{where}: typed_json_format");
                break;
            default:
                // Envoy's default format when none is given.
                text = AccessLogFormat.Compile(AccessLogFormat.EnvoyDefault, $"{where}: default format");
                break;
        }

        var filter = log.Filter != null ? Filter(log.Filter, $"{where}: filter") : _ => true;
        return new AccessLogPlan(AccessLogWriter.For(file.Path), text, json, filter);
    }

    public void Log(AccessLogRecord record)
    {
        if (!_filter(record))
        {
            return;
        }

        if (_text != null)
        {
            _writer.Write(_text.Format(record));
            return;
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (key, format) in _json!)
            {
                var value = format.Value(record);
                if (value == null)
                {
                    json.WriteNull(key);
                }
                else if (format.IsNumber && long.TryParse(value, out var number))
                {
                    json.WriteNumber(key, number);
                }
                else
                {
                    json.WriteString(key, value);
                }
            }

            json.WriteEndObject();
        }

        _writer.Write(Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n");
    }

    private static (string, AccessLogFormat)[] Json(Google.Protobuf.WellKnownTypes.Struct format, string where) =>
        format.Fields.Select(f => f.Value.KindCase == Google.Protobuf.WellKnownTypes.Value.KindOneofCase.StringValue
                ? (f.Key, AccessLogFormat.Compile(f.Value.StringValue, $"{where}[{f.Key}]"))
                : throw new ProxyConfigException($"{where}[{f.Key}]: only string format values are supported"))
            .ToArray();

    private static Func<AccessLogRecord, bool> Filter(AccessLogFilter filter, string where)
    {
        switch (filter.FilterSpecifierCase)
        {
            case AccessLogFilter.FilterSpecifierOneofCase.StatusCodeFilter:
                var comparison = filter.StatusCodeFilter.Comparison ?? new ComparisonFilter();
                var value = comparison.Value?.DefaultValue ?? 0;
                return comparison.Op switch
                {
                    ComparisonFilter.Types.Op.Eq => r => r.ResponseCode == value,
                    ComparisonFilter.Types.Op.Ge => r => r.ResponseCode >= value,
                    ComparisonFilter.Types.Op.Le => r => r.ResponseCode <= value,
                    _ => r => r.ResponseCode != value,
                };
            case AccessLogFilter.FilterSpecifierOneofCase.ResponseFlagFilter:
                var flags = filter.ResponseFlagFilter.Flags.ToHashSet(StringComparer.Ordinal);
                return flags.Count == 0
                    ? r => r.ResponseFlags != "-"
                    : r => r.ResponseFlags.Split(',').Any(flags.Contains);
            case AccessLogFilter.FilterSpecifierOneofCase.NotHealthCheckFilter:
                return _ => true; // no health checks reach a local-mode sidecar
            case AccessLogFilter.FilterSpecifierOneofCase.AndFilter:
                var all = filter.AndFilter.Filters.Select((f, i) => Filter(f, $"{where}.and_filter[{i}]")).ToArray();
                return r => all.All(f => f(r));
            case AccessLogFilter.FilterSpecifierOneofCase.OrFilter:
                var any = filter.OrFilter.Filters.Select((f, i) => Filter(f, $"{where}.or_filter[{i}]")).ToArray();
                return r => any.Any(f => f(r));
            case AccessLogFilter.FilterSpecifierOneofCase.DurationFilter:
                var duration = filter.DurationFilter.Comparison ?? new ComparisonFilter();
                var milliseconds = duration.Value?.DefaultValue ?? 0;
                return duration.Op switch
                {
                    ComparisonFilter.Types.Op.Eq => r => (long)r.Duration.TotalMilliseconds == milliseconds,
                    ComparisonFilter.Types.Op.Ge => r => (long)r.Duration.TotalMilliseconds >= milliseconds,
                    ComparisonFilter.Types.Op.Le => r => (long)r.Duration.TotalMilliseconds <= milliseconds,
                    _ => r => (long)r.Duration.TotalMilliseconds != milliseconds,
                };
            case AccessLogFilter.FilterSpecifierOneofCase.ExtensionFilter
                when filter.ExtensionFilter.TypedConfig?.TryUnpack<ExpressionFilter>(out var cel) == true:
                return CelFilter.Compile(cel.Expression, $"{where}.extension_filter");
            default:
                throw new ProxyConfigException($"{where}: this access log filter is not supported (status_code, duration, response_flag, not_health_check, and, or, and the CEL extension filter are)");
        }
    }
}
