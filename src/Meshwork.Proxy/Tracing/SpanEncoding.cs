using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpSpan = OpenTelemetry.Proto.Trace.V1.Span;

namespace Meshwork.Proxy.Tracing;

/// <summary>
/// A batch of spans as the collectors take it: Zipkin API v2 JSON (a span list with localEndpoint,
/// kind, microsecond timestamps, string tags, <c>shared</c> false as Envoy's Zipkin tracer without a
/// shared span context), and OTLP's ExportTraceServiceRequest (one resource with service.name, string
/// attributes, status ERROR on failed requests) as protobuf, bare for OTLP/HTTP or in a gRPC frame.
/// </summary>
internal static class SpanEncoding
{
    public const string ScopeName = "meshwork-proxy";

    public static byte[] ZipkinJson(IReadOnlyList<FinishedSpan> spans, TracerIdentity identity)
    {
        var buffer = new ArrayBufferWriter<byte>(512 * spans.Count);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var span in spans)
            {
                json.WriteStartObject();
                json.WriteString("traceId", span.Context.TraceIdHex);
                json.WriteString("id", span.Context.SpanIdHex);
                if (span.Context.ParentId != 0)
                {
                    json.WriteString("parentId", span.Context.ParentIdHex);
                }

                json.WriteString("name", span.Name);
                json.WriteString("kind", span.Kind == SpanKind.Server ? "SERVER" : "CLIENT");
                json.WriteNumber("timestamp", (span.Start.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10);
                json.WriteNumber("duration", Math.Max(1, span.Duration.Ticks / 10));
                json.WriteStartObject("localEndpoint");
                json.WriteString("serviceName", identity.LocalService);
                json.WriteString(identity.Ip.Contains(':', StringComparison.Ordinal) ? "ipv6" : "ipv4", identity.Ip);
                json.WriteEndObject();
                json.WriteBoolean("shared", false);
                json.WriteStartObject("tags");
                foreach (var (key, value) in span.Tags)
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static ExportTraceServiceRequest Otlp(IReadOnlyList<FinishedSpan> spans, string serviceName)
    {
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = ScopeName } };
        foreach (var span in spans)
        {
            var otlp = new OtlpSpan
            {
                TraceId = ByteString.CopyFrom(Bytes(span.Context.TraceIdHigh, span.Context.TraceIdLow)),
                SpanId = ByteString.CopyFrom(Bytes(span.Context.SpanId)),
                Name = span.Name,
                Kind = span.Kind == SpanKind.Server ? OtlpSpan.Types.SpanKind.Server : OtlpSpan.Types.SpanKind.Client,
                StartTimeUnixNano = UnixNanos(span.Start),
                EndTimeUnixNano = UnixNanos(span.Start + span.Duration),
                Flags = 0x100 | (span.Context.Sampled == true ? 1u : 0u),
                Status = new Status { Code = span.Error ? Status.Types.StatusCode.Error : Status.Types.StatusCode.Unset },
            };
            if (span.Context.ParentId != 0)
            {
                otlp.ParentSpanId = ByteString.CopyFrom(Bytes(span.Context.ParentId));
            }

            if (span.Context.TraceState is { } state)
            {
                otlp.TraceState = state;
            }

            foreach (var (key, value) in span.Tags)
            {
                otlp.Attributes.Add(Attribute(key, value));
            }

            scope.Spans.Add(otlp);
        }

        var resource = new Resource { Attributes = { Attribute("service.name", serviceName) } };
        return new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { Resource = resource, ScopeSpans = { scope } } } };
    }

    /// <summary>A gRPC message frame: uncompressed flag, big-endian length, the message.</summary>
    public static byte[] GrpcFrame(IMessage message)
    {
        var size = message.CalculateSize();
        var frame = new byte[5 + size];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1, 4), (uint)size);
        message.WriteTo(frame.AsSpan(5));
        return frame;
    }

    private static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static ulong UnixNanos(DateTimeOffset time) => (ulong)(time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    private static byte[] Bytes(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] Bytes(ulong high, ulong low)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, high);
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(8), low);
        return bytes;
    }
}
