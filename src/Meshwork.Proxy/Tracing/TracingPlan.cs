using Envoy.Config.Trace.V3;
using Envoy.Type.Tracing.V3;
using HcmTracing = Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager.Types.Tracing;

namespace Meshwork.Proxy.Tracing;

/// <summary>How spans reach a collector: Zipkin v2 JSON, OTLP/HTTP protobuf or OTLP/gRPC.</summary>
internal enum CollectorProtocol
{
    ZipkinJson,
    OtlpHttp,
    OtlpGrpc,
}

/// <summary>Where one tracer sends its spans: a cluster of the proxy, the path and Host header on it, and the request timeout. Equal targets share one export queue.</summary>
internal sealed record CollectorTarget(CollectorProtocol Protocol, string Cluster, string Path, string Host, TimeSpan Timeout);

/// <summary>One custom span tag (Envoy's CustomTag): a literal or environment value fixed at config time, or a request or response header read per span.</summary>
internal sealed record SpanTagSource(string Tag, string? Value, string? RequestHeader, string? ResponseHeader, string DefaultValue);

/// <summary>
/// An HCM's <c>tracing</c> compiled when its listener arrives: the tracer (Envoy's Zipkin or
/// OpenTelemetry; without a provider the HCM neither reports spans nor rewrites trace headers, as
/// Envoy without a tracer), its collector, the header format it writes, random sampling (percent of
/// requests without an upstream decision), the custom tags, whether an upstream span is spawned
/// (gateways) and how long <c>http.url</c> may be.
/// </summary>
internal sealed class TracingPlan
{
    public const string ZipkinTracer = "envoy.tracers.zipkin";
    public const string OpenTelemetryTracer = "envoy.tracers.opentelemetry";

    /// <summary>Envoy's default max_path_tag_length.</summary>
    public const int DefaultMaxPathTagLength = 256;

    public required CollectorTarget Collector { get; init; }

    public required TraceFormat Format { get; init; }

    /// <summary>Percent (0..100) of requests without an upstream decision that are traced.</summary>
    public double RandomSamplingPercent { get; init; }

    public bool SpawnUpstreamSpan { get; init; }

    public int MaxPathTagLength { get; init; } = DefaultMaxPathTagLength;

    /// <summary>New traces get 128-bit ids (Zipkin's trace_id_128bit; always for OpenTelemetry).</summary>
    public bool TraceId128Bit { get; init; } = true;

    /// <summary>The OpenTelemetry resource's service.name; null for Zipkin, which names the local endpoint after the node's cluster.</summary>
    public string? ServiceName { get; init; }

    public IReadOnlyList<SpanTagSource> CustomTags { get; init; } = [];

    /// <summary>The plan for <paramref name="tracing"/>, or null when the HCM has no tracing or no provider.</summary>
    public static TracingPlan? Compile(HcmTracing? tracing, string where)
    {
        if (tracing?.Provider is not { } provider)
        {
            return null;
        }

        var tags = tracing.CustomTags.Select((t, i) => Tag(t, $"{where}: tracing.custom_tags[{i}]")).ToArray();
        var sampling = tracing.RandomSampling?.Value ?? 100;
        if (sampling is < 0 or > 100 || double.IsNaN(sampling))
        {
            throw new ProxyConfigException($"{where}: tracing.random_sampling: {sampling} is not a percentage");
        }

        where += ": tracing.provider";

        var maxPath = tracing.MaxPathTagLength is { } max ? (int)Math.Min(max, int.MaxValue) : DefaultMaxPathTagLength;
        var spawn = tracing.SpawnUpstreamSpan ?? false;
        switch (provider.Name)
        {
            case ZipkinTracer when provider.TypedConfig?.TryUnpack<ZipkinConfig>(out var zipkin) == true:
                return new TracingPlan
                {
                    Collector = Zipkin(zipkin, where),
                    Format = TraceFormat.B3,
                    RandomSamplingPercent = sampling,
                    SpawnUpstreamSpan = spawn,
                    MaxPathTagLength = maxPath,
                    TraceId128Bit = zipkin.TraceId128Bit,
                    CustomTags = tags,
                };
            case OpenTelemetryTracer when provider.TypedConfig?.TryUnpack<OpenTelemetryConfig>(out var otel) == true:
                return new TracingPlan
                {
                    Collector = OpenTelemetry(otel, where),
                    Format = TraceFormat.W3C,
                    RandomSamplingPercent = sampling,
                    SpawnUpstreamSpan = spawn,
                    MaxPathTagLength = maxPath,
                    ServiceName = otel.ServiceName.Length > 0 ? otel.ServiceName : "unknown_service:envoy",
                    CustomTags = tags,
                };
            case ZipkinTracer or OpenTelemetryTracer:
                throw new ProxyConfigException($"{where} \"{provider.Name}\": typed_config must be {(provider.Name == ZipkinTracer ? ZipkinConfig.Descriptor : OpenTelemetryConfig.Descriptor).FullName}");
            default:
                throw new ProxyConfigException($"{where} \"{provider.Name}\": not supported ({ZipkinTracer} and {OpenTelemetryTracer} are)");
        }
    }

    private static CollectorTarget Zipkin(ZipkinConfig zipkin, string where)
    {
        if (zipkin.CollectorEndpointVersion != ZipkinConfig.Types.CollectorEndpointVersion.HttpJson)
        {
            throw new ProxyConfigException($"{where}: collector_endpoint_version {zipkin.CollectorEndpointVersion} is not supported (HTTP_JSON is)");
        }

        if (zipkin.CollectorService is { HttpUri: { } uri })
        {
            var (host, path) = SplitUri(uri.Uri);
            return new CollectorTarget(CollectorProtocol.ZipkinJson, Required(uri.Cluster, $"{where}: collector_service.http_uri.cluster"), path, host ?? uri.Cluster, Timeout(uri.Timeout));
        }

        var cluster = Required(zipkin.CollectorCluster, $"{where}: collector_cluster");
        var endpoint = Required(zipkin.CollectorEndpoint, $"{where}: collector_endpoint");
        return new CollectorTarget(CollectorProtocol.ZipkinJson, cluster, endpoint, zipkin.CollectorHostname.Length > 0 ? zipkin.CollectorHostname : cluster, TimeSpan.FromSeconds(5));
    }

    private static CollectorTarget OpenTelemetry(OpenTelemetryConfig otel, string where)
    {
        switch (otel.ExportProtocolCase)
        {
            case OpenTelemetryConfig.ExportProtocolOneofCase.GrpcService when otel.GrpcService.EnvoyGrpc is { } grpc:
                var cluster = Required(grpc.ClusterName, $"{where}: grpc_service.envoy_grpc.cluster_name");
                return new CollectorTarget(CollectorProtocol.OtlpGrpc, cluster, "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                    grpc.Authority.Length > 0 ? grpc.Authority : cluster, Timeout(otel.GrpcService.Timeout));
            case OpenTelemetryConfig.ExportProtocolOneofCase.HttpService when otel.HttpService.HttpUri is { } uri:
                var (host, path) = SplitUri(uri.Uri);
                return new CollectorTarget(CollectorProtocol.OtlpHttp, Required(uri.Cluster, $"{where}: http_service.http_uri.cluster"),
                    path is "/" ? "/v1/traces" : path, host ?? uri.Cluster, Timeout(uri.Timeout));
            default:
                throw new ProxyConfigException($"{where}: grpc_service.envoy_grpc or http_service.http_uri is required");
        }
    }

    /// <summary>Envoy's HttpUri: a full URL, or <c>HOST/PATH</c>, or a path alone.</summary>
    private static (string? Host, string Path) SplitUri(string uri)
    {
        var rest = uri.Contains("://", StringComparison.Ordinal) ? uri[(uri.IndexOf("://", StringComparison.Ordinal) + 3)..] : uri;
        if (rest.StartsWith('/'))
        {
            return (null, rest);
        }

        var slash = rest.IndexOf('/');
        return slash < 0 ? (rest, "/") : (rest[..slash], rest[slash..]);
    }

    private static TimeSpan Timeout(Google.Protobuf.WellKnownTypes.Duration? timeout) =>
        timeout != null && timeout.ToTimeSpan() > TimeSpan.Zero ? timeout.ToTimeSpan() : TimeSpan.FromSeconds(5);

    private static string Required(string value, string where) =>
        value.Length > 0 ? value : throw new ProxyConfigException($"{where} is required");

    private static SpanTagSource Tag(CustomTag tag, string where)
    {
        if (tag.Tag.Length == 0)
        {
            throw new ProxyConfigException($"{where}: tag is required");
        }

        return tag.TypeCase switch
        {
            CustomTag.TypeOneofCase.Literal => new SpanTagSource(tag.Tag, tag.Literal.Value, null, null, string.Empty),
            // Envoy reads the environment once, when the config is loaded.
            CustomTag.TypeOneofCase.Environment => new SpanTagSource(tag.Tag, Environment.GetEnvironmentVariable(tag.Environment.Name) is { Length: > 0 } env ? env : tag.Environment.DefaultValue, null, null, string.Empty),
            CustomTag.TypeOneofCase.RequestHeader => new SpanTagSource(tag.Tag, null, tag.RequestHeader.Name.ToLowerInvariant(), null, tag.RequestHeader.DefaultValue),
            CustomTag.TypeOneofCase.ResponseHeader => new SpanTagSource(tag.Tag, null, null, tag.ResponseHeader.Name.ToLowerInvariant(), tag.ResponseHeader.DefaultValue),
            _ => throw new ProxyConfigException($"{where} \"{tag.Tag}\": literal, environment, request_header or response_header is required"),
        };
    }
}
