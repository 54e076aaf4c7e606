using System.Net;
using System.Text.Json;
using Meshwork.Mixer.Runtime;

namespace Meshwork.Mixer.Adapters;

/// <summary>
/// Istio's stdio adapter: each logentry instance becomes one JSON line (level, time, instance, then its variables) on
/// the host's log stream; metric instances are written the same way. Lines are written under a lock so concurrent
/// reports do not interleave.
/// </summary>
public sealed class StdioAdapter(string name, TextWriter writer, TimeProvider time) : IReportAdapter
{
    private readonly Lock _lock = new();

    public string Name { get; } = name;

    public static StdioAdapter Create(string name, ParamsNode p, AdapterContext context)
    {
        p.AllowOnly("logStream", "severityLevels", "metricLevel", "outputAsJson", "outputLevel", "outputPath", "maxMegabytesBeforeRotation", "maxDaysBeforeRotation", "maxRotatedFiles");
        var stream = p["logStream"].String() ?? "STDOUT";
        if (stream is not ("STDOUT" or "STDERR" or "FILE" or "ROTATED_FILE"))
        {
            throw p["logStream"].Error($"expected STDOUT, STDERR, FILE or ROTATED_FILE, got \"{stream}\"");
        }

        return new StdioAdapter(name, context.Log, context.Time);
    }

    public void Report(IReadOnlyList<InstanceValue> instances)
    {
        foreach (var instance in instances)
        {
            var line = Format(instance);
            lock (_lock)
            {
                writer.WriteLine(line);
                writer.Flush();
            }
        }
    }

    private string Format(InstanceValue instance)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("level", instance.Field("severity") is string s ? s.ToLowerInvariant() switch { "default" => "info", var x => x } : "info");
            json.WriteString("time", instance.Field("timestamp") is DateTimeOffset t ? t : time.GetUtcNow());
            json.WriteString("instance", instance.Name);
            var values = instance.Template == "metric" ? instance.Map("dimensions") : instance.Map("variables");
            if (instance.Field("value") is { } metricValue)
            {
                WriteValue(json, "value", metricValue);
            }

            foreach (var (key, value) in values.OrderBy(v => v.Key, StringComparer.Ordinal))
            {
                WriteValue(json, key, value);
            }

            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteValue(Utf8JsonWriter json, string key, object value)
    {
        switch (value)
        {
            case long l:
                json.WriteNumber(key, l);
                break;
            case double d:
                json.WriteNumber(key, d);
                break;
            case bool b:
                json.WriteBoolean(key, b);
                break;
            case TimeSpan ts:
                json.WriteString(key, $"{ts.TotalMilliseconds}ms");
                break;
            case DateTimeOffset dt:
                json.WriteString(key, dt);
                break;
            case IPAddress ip:
                json.WriteString(key, ip.ToString());
                break;
            default:
                json.WriteString(key, value.ToString());
                break;
        }
    }
}
