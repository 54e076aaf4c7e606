using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Trace.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Type.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Mesh;
using Meshwork.Pilot.Generators.Clusters;
using Meshwork.Pilot.Generators.Endpoints;
using Meshwork.Pilot.Model;
using EnvoyCustomTag = Envoy.Type.Tracing.V3.CustomTag;
using HcmTracingConfig = Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager.Types.Tracing;

namespace Meshwork.Pilot.Generators.Listeners;

/// <summary>
/// The HCM's <c>tracing</c> as Istio sets it (configureTracing): from the Telemetry API when a
/// Telemetry or <c>defaultProviders.tracing</c> applies (server spec on inbound listeners, client spec
/// on outbound and gateway ones), else from MeshConfig's legacy settings when <c>enableTracing</c>
/// (sampling from <c>defaultConfig.tracing.sampling</c>, Istio's default 1%, a Zipkin collector from
/// <c>defaultConfig.tracing.zipkin.address</c> when that names a known service). Providers: Zipkin
/// (v2 JSON, 128-bit ids, no shared span context) and OpenTelemetry (OTLP/HTTP with <c>http</c>, else
/// OTLP/gRPC), their collector at Istio's <c>outbound|PORT||SERVICE</c> cluster. Gateways spawn an
/// upstream span (Istio's PILOT_SPAWN_UPSTREAM_SPAN_FOR_GATEWAY).
/// </summary>
internal static class HcmTracing
{
    public const string OpenTelemetryTracer = "envoy.tracers.opentelemetry";
    public const string ZipkinTracer = "envoy.tracers.zipkin";

    /// <summary>Istio's PILOT_TRACE_SAMPLING default: 1%.</summary>
    public const double DefaultSampling = 1.0;

    /// <summary>The tracing of a proxy's client-side and server-side connection managers (null: none).</summary>
    public sealed record ProxyTracing(HcmTracingConfig? Client, HcmTracingConfig? Server)
    {
        public static readonly ProxyTracing None = new(null, null);
    }

    public static ProxyTracing For(MeshSnapshot snapshot, ProxyNode proxy)
    {
        var mesh = snapshot.Mesh;
        var specs = TelemetryTracing.For(snapshot, proxy.Namespace, proxy.Labels);
        if (specs == null)
        {
            return mesh.EnableTracing ? Legacy(snapshot, proxy) : ProxyTracing.None;
        }

        return new ProxyTracing(FromSpec(snapshot, proxy, specs.Client), FromSpec(snapshot, proxy, specs.Server));
    }

    /// <summary>Sets the tracing on every HCM of <paramref name="listener"/>: the server side's on inbound listeners, the client side's on the others.</summary>
    public static void AddTo(Listener listener, ProxyTracing tracing)
    {
        var config = listener.TrafficDirection == Envoy.Config.Core.V3.TrafficDirection.Inbound ? tracing.Server : tracing.Client;
        if (config == null)
        {
            return;
        }

        foreach (var filter in listener.FilterChains.SelectMany(c => c.Filters).Append(listener.DefaultFilterChain?.Filters.FirstOrDefault()).OfType<Filter>())
        {
            if (filter.TypedConfig?.TryUnpack<HttpConnectionManager>(out var manager) == true)
            {
                manager.Tracing = config.Clone();
                filter.TypedConfig = Any.Pack(manager);
            }
        }
    }

    private static HcmTracingConfig? FromSpec(MeshSnapshot snapshot, ProxyNode proxy, TracingSpec spec)
    {
        if (spec.Disabled || spec.Provider is not { } provider || Provider(snapshot, proxy, provider) is not { } tracing)
        {
            return null;
        }

        var proxyConfig = snapshot.Mesh.DefaultConfig?.Tracing;
        Sample(tracing, spec.RandomSamplingPercentage ?? LegacySampling(proxyConfig));
        var tags = spec.EnableIstioTags ? IstioTags(snapshot.Mesh, proxy) : [];
        foreach (var (name, tag) in spec.CustomTags)
        {
            if (tag != null)
            {
                tags.Add(Custom(name, tag));
            }
        }

        tracing.CustomTags.AddRange(tags.OrderBy(t => t.Tag, StringComparer.Ordinal));
        if (tracing.MaxPathTagLength == null && proxyConfig is { MaxPathTagLength: > 0 })
        {
            tracing.MaxPathTagLength = proxyConfig.MaxPathTagLength;
        }

        return tracing;
    }

    /// <summary>No Telemetry: MeshConfig's sampling and Istio's tags; a Zipkin collector only when <c>defaultConfig.tracing.zipkin.address</c> names a service of the mesh.</summary>
    private static ProxyTracing Legacy(MeshSnapshot snapshot, ProxyNode proxy)
    {
        var proxyConfig = snapshot.Mesh.DefaultConfig?.Tracing;
        var tracing = new HcmTracingConfig();
        if (proxyConfig?.Zipkin is { Address.Length: > 0 } zipkin && SplitAddress(zipkin.Address) is var (host, port)
            && Provider(snapshot, proxy, new ExtensionProvider { Name = "zipkin", Zipkin = new ZipkinProvider { Service = host, Port = port } }) is { } withProvider)
        {
            tracing = withProvider;
        }

        Sample(tracing, LegacySampling(proxyConfig));
        tracing.CustomTags.AddRange(IstioTags(snapshot.Mesh, proxy).OrderBy(t => t.Tag, StringComparer.Ordinal));
        if (proxyConfig is { MaxPathTagLength: > 0 })
        {
            tracing.MaxPathTagLength = proxyConfig.MaxPathTagLength;
        }

        return new ProxyTracing(tracing, tracing);
    }

    /// <summary>Istio's proxyConfigSamplingValue: the mesh default unless set, and 1% for anything over 100.</summary>
    private static double LegacySampling(TracingConfig? config) => config is { Sampling: not 0 } ? (config.Sampling > 100 ? 1.0 : config.Sampling) : DefaultSampling;

    private static void Sample(HcmTracingConfig tracing, double percent)
    {
        tracing.ClientSampling = new Percent { Value = 100 };
        tracing.OverallSampling = new Percent { Value = 100 };
        tracing.RandomSampling = new Percent { Value = percent };
    }

    /// <summary>The tracer for an extension provider, or null when it is not a tracing provider or its service is unknown (Istio then leaves tracing off).</summary>
    private static HcmTracingConfig? Provider(MeshSnapshot snapshot, ProxyNode proxy, ExtensionProvider provider)
    {
        var tracing = new HcmTracingConfig();
        if (proxy.Type == ProxyType.Router)
        {
            tracing.SpawnUpstreamSpan = true;
        }

        uint maxTagLength;
        if (provider.Zipkin is { } zipkin && Collector(snapshot, zipkin.Service, zipkin.Port) is var (zipkinHost, zipkinCluster))
        {
            maxTagLength = zipkin.MaxTagLength;
            tracing.Provider = new Envoy.Config.Trace.V3.Tracing.Types.Http
            {
                Name = ZipkinTracer,
                TypedConfig = Any.Pack(new ZipkinConfig
                {
                    CollectorCluster = zipkinCluster,
                    CollectorEndpoint = zipkin.Path.Length > 0 ? zipkin.Path : "/api/v2/spans",
                    CollectorHostname = zipkinHost,
                    CollectorEndpointVersion = ZipkinConfig.Types.CollectorEndpointVersion.HttpJson,
                    TraceId128Bit = !zipkin.Enable64bitTraceId,
                    SharedSpanContext = false,
                }),
            };
        }
        else if (provider.Opentelemetry is { } otel && Collector(snapshot, otel.Service, otel.Port) is var (otelHost, otelCluster))
        {
            maxTagLength = otel.MaxTagLength;
            var config = new OpenTelemetryConfig { ServiceName = ServiceCluster(proxy) };
            if (otel.Http is { } http)
            {
                config.HttpService = new HttpService
                {
                    HttpUri = new HttpUri
                    {
                        Uri = otelHost + "/" + http.Path.TrimStart('/'),
                        Cluster = otelCluster,
                        Timeout = Duration.FromTimeSpan(http.Timeout ?? TimeSpan.FromSeconds(5)),
                    },
                };
            }
            else
            {
                config.GrpcService = new GrpcService
                {
                    EnvoyGrpc = new GrpcService.Types.EnvoyGrpc { ClusterName = otelCluster, Authority = otelHost },
                    Timeout = otel.Grpc?.Timeout is { } timeout ? Duration.FromTimeSpan(timeout) : null,
                };
            }

            tracing.Provider = new Envoy.Config.Trace.V3.Tracing.Types.Http { Name = OpenTelemetryTracer, TypedConfig = Any.Pack(config) };
        }
        else
        {
            return null;
        }

        if (maxTagLength != 0)
        {
            tracing.MaxPathTagLength = maxTagLength;
        }

        return tracing;
    }

    /// <summary>Istio's LookupCluster: <c>[NAMESPACE/]HOSTNAME</c> must be a service of the mesh; its outbound cluster on the port.</summary>
    private static (string Host, string Cluster)? Collector(MeshSnapshot snapshot, string service, uint port)
    {
        var slash = service.IndexOf('/', StringComparison.Ordinal);
        var host = slash >= 0 ? service[(slash + 1)..] : service;
        var found = slash >= 0 ? snapshot.Registry.Service(service[..slash], host) : snapshot.Registry.ServicesFor(host).FirstOrDefault();
        return found == null || port == 0 ? null : (host, ClusterNames.Outbound(port, string.Empty, host));
    }

    private static (string Host, uint Port)? SplitAddress(string address)
    {
        var colon = address.LastIndexOf(':');
        return colon > 0 && uint.TryParse(address.AsSpan(colon + 1), out var port) ? (address[..colon], port) : null;
    }

    /// <summary>The node's service cluster (the span producer's service name): canonical service, else workload name, dot namespace.</summary>
    private static string ServiceCluster(ProxyNode proxy) =>
        $"{EndpointMetadata.CanonicalName(proxy.Labels) ?? (proxy.WorkloadName.Length > 0 ? proxy.WorkloadName : proxy.Name)}.{proxy.Namespace}";

    /// <summary>Istio's buildServiceTags: the proxy's canonical service and revision, mesh id, namespace and cluster id as literal tags.</summary>
    private static List<EnvoyCustomTag> IstioTags(MeshConfig mesh, ProxyNode proxy) =>
    [
        Literal("istio.canonical_revision", EndpointMetadata.CanonicalRevision(proxy.Labels) ?? "latest"),
        Literal("istio.canonical_service", EndpointMetadata.CanonicalName(proxy.Labels) ?? "unknown"),
        Literal("istio.mesh_id", mesh.EffectiveTrustDomain),
        Literal("istio.namespace", proxy.Namespace.Length > 0 ? proxy.Namespace : "default"),
        Literal("istio.cluster_id", proxy.ClusterId.Length > 0 ? proxy.ClusterId : "unknown"),
    ];

    private static EnvoyCustomTag Literal(string tag, string value) => new() { Tag = tag, Literal = new EnvoyCustomTag.Types.Literal { Value = value } };

    private static EnvoyCustomTag Custom(string name, Meshwork.Config.Telemetry.CustomTag tag)
    {
        var custom = new EnvoyCustomTag { Tag = name };
        if (tag.Literal is { } literal)
        {
            custom.Literal = new EnvoyCustomTag.Types.Literal { Value = literal.Value };
        }
        else if (tag.Environment is { } environment)
        {
            custom.Environment = new EnvoyCustomTag.Types.Environment { Name = environment.Name, DefaultValue = environment.DefaultValue };
        }
        else if (tag.Header is { } header)
        {
            custom.RequestHeader = new EnvoyCustomTag.Types.Header { Name = header.Name, DefaultValue = header.DefaultValue };
        }

        return custom;
    }
}
