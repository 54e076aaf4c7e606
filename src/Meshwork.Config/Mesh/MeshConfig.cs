using Meshwork.Config.Binding;
using Meshwork.Config.Networking;
using Meshwork.Config.Values;

namespace Meshwork.Config.Mesh;

/// <summary>
/// istio.mesh.v1alpha1.MeshConfig, the subset that has meaning in Meshwork. Istio's defaults
/// (pkg/config/mesh/mesh.go DefaultMeshConfig) apply to what a file leaves out; fields Istio has
/// and Meshwork does not use are reported as ignored, not rejected.
/// </summary>
public sealed record MeshConfig
{
    public static MeshConfig Default { get; } = new();

    [Duration]
    public TimeSpan? ConnectTimeout { get; init; }

    [Duration]
    public TimeSpan? ProtocolDetectionTimeout { get; init; }

    public bool EnableTracing { get; init; } = true;

    /// <summary>Where proxies write access logs (<c>/dev/stdout</c>); empty disables them.</summary>
    public string AccessLogFile { get; init; } = string.Empty;

    public string AccessLogFormat { get; init; } = string.Empty;

    public AccessLogEncoding AccessLogEncoding { get; init; }

    public ProxyConfig? DefaultConfig { get; init; }

    public OutboundTrafficPolicy? OutboundTrafficPolicy { get; init; }

    public bool? EnableAutoMtls { get; init; }

    public string TrustDomain { get; init; } = string.Empty;

    public ValueList<string> TrustDomainAliases { get; init; }

    public string RootNamespace { get; init; } = string.Empty;

    public ValueList<string> DefaultServiceExportTo { get; init; }

    public ValueList<string> DefaultVirtualServiceExportTo { get; init; }

    public ValueList<string> DefaultDestinationRuleExportTo { get; init; }

    public LocalityLoadBalancerSetting? LocalityLbSetting { get; init; }

    [Duration]
    public TimeSpan? DnsRefreshRate { get; init; }

    public HttpRetry? DefaultHttpRetryPolicy { get; init; }

    public ValueList<ExtensionProvider> ExtensionProviders { get; init; }

    public DefaultProviders? DefaultProviders { get; init; }

    /// <summary>How proxies normalize request paths before routing and authorization (Istio's <c>pathNormalization</c>).</summary>
    public ProxyPathNormalization? PathNormalization { get; init; }

    /// <summary>Where sidecars send Mixer Check calls (<c>HOST:PORT</c>, Istio's <c>mixerCheckServer</c>); empty: no policy checks.</summary>
    public string MixerCheckServer { get; init; } = string.Empty;

    /// <summary>Where sidecars send Mixer Report calls (<c>HOST:PORT</c>, Istio's <c>mixerReportServer</c>); empty: no reports.</summary>
    public string MixerReportServer { get; init; } = string.Empty;

    /// <summary>Istio's <c>disablePolicyChecks</c>: sidecars report to Mixer but never ask it (Check) for permission.</summary>
    public bool DisablePolicyChecks { get; init; }

    /// <summary>Istio's <c>policyCheckFailOpen</c>: when Mixer cannot be reached, requests go ahead; by default (false) they fail, as Istio 1.4.</summary>
    public bool PolicyCheckFailOpen { get; init; }

    /// <summary>The trust domain in force: the file's, else <c>cluster.local</c>.</summary>
    public string EffectiveTrustDomain => TrustDomain.Length > 0 ? TrustDomain : "cluster.local";

    /// <summary>The root namespace in force: the file's, else <c>istio-system</c>.</summary>
    public string EffectiveRootNamespace => RootNamespace.Length > 0 ? RootNamespace : "istio-system";

    /// <summary>Auto mutual TLS is on unless the file turns it off.</summary>
    public bool AutoMtls => EnableAutoMtls ?? true;

    public TimeSpan EffectiveConnectTimeout => ConnectTimeout ?? TimeSpan.FromSeconds(10);

    /// <summary>
    /// The normalization in force. Unset (or DEFAULT) means MERGE_SLASHES, where Istio means BASE:
    /// with BASE a rule on <c>/admin/*</c> does not see <c>//admin/x</c>, which many applications
    /// serve as <c>/admin/x</c>, so Meshwork merges slashes unless the file asks for less.
    /// </summary>
    public PathNormalizationType EffectivePathNormalization =>
        PathNormalization?.Normalization is { } type && type != PathNormalizationType.Default ? type : PathNormalizationType.MergeSlashes;

    public OutboundTrafficMode EffectiveOutboundTrafficMode => OutboundTrafficPolicy?.Mode ?? OutboundTrafficMode.AllowAny;
}

public enum AccessLogEncoding
{
    Text = 0,
    Json = 1,
}

/// <summary>MeshConfig.ProxyPathNormalization.</summary>
public sealed record ProxyPathNormalization
{
    public PathNormalizationType Normalization { get; init; }
}

/// <summary>MeshConfig.ProxyPathNormalization.NormalizationType, with Istio's numbers.</summary>
public enum PathNormalizationType
{
    Default = 0,
    None = 1,
    Base = 2,
    MergeSlashes = 3,
    DecodeAndMergeSlashes = 4,
}

/// <summary>MeshConfig.OutboundTrafficPolicy.</summary>
public sealed record OutboundTrafficPolicy
{
    public OutboundTrafficMode Mode { get; init; } = OutboundTrafficMode.AllowAny;
}

/// <summary>MeshConfig.OutboundTrafficPolicy.Mode (note: its numbers differ from the Sidecar resource's).</summary>
public enum OutboundTrafficMode
{
    RegistryOnly = 0,
    AllowAny = 1,
}

/// <summary>istio.mesh.v1alpha1.ProxyConfig: the defaults every proxy starts from.</summary>
public sealed record ProxyConfig
{
    public string DiscoveryAddress { get; init; } = string.Empty;

    [Duration]
    public TimeSpan? DrainDuration { get; init; }

    [Duration]
    public TimeSpan? TerminationDrainDuration { get; init; }

    public ValueMap<string, string> ProxyMetadata { get; init; }

    public int? Concurrency { get; init; }

    public int StatusPort { get; init; }

    public bool? HoldApplicationUntilProxyStarts { get; init; }

    public TracingConfig? Tracing { get; init; }
}

/// <summary>ProxyConfig's tracing: the sampling rate (percent) and a Zipkin collector.</summary>
public sealed record TracingConfig
{
    public double Sampling { get; init; }

    public ZipkinTracing? Zipkin { get; init; }

    public uint MaxPathTagLength { get; init; }
}

public sealed record ZipkinTracing
{
    public string Address { get; init; } = string.Empty;
}

/// <summary>MeshConfig.ExtensionProvider: a named telemetry or authorization backend, one kind per provider.</summary>
public sealed record ExtensionProvider
{
    public string Name { get; init; } = string.Empty;

    [OneOf("provider")]
    public OpenTelemetryProvider? Opentelemetry { get; init; }

    [OneOf("provider")]
    public ZipkinProvider? Zipkin { get; init; }

    [OneOf("provider")]
    public PrometheusProvider? Prometheus { get; init; }

    [OneOf("provider")]
    public FileAccessLogProvider? EnvoyFileAccessLog { get; init; }

    [OneOf("provider")]
    public ExtAuthzHttpProvider? EnvoyExtAuthzHttp { get; init; }

    [OneOf("provider")]
    public ExtAuthzGrpcProvider? EnvoyExtAuthzGrpc { get; init; }
}

public sealed record OpenTelemetryProvider
{
    public string Service { get; init; } = string.Empty;

    public uint Port { get; init; }

    public uint MaxTagLength { get; init; }

    /// <summary>Export OTLP over HTTP (protobuf) to this path; without it, OTLP over gRPC (as Istio).</summary>
    public OpenTelemetryHttp? Http { get; init; }

    public OpenTelemetryGrpc? Grpc { get; init; }
}

/// <summary>MeshConfig.ExtensionProvider.HttpService of the OpenTelemetry provider.</summary>
public sealed record OpenTelemetryHttp
{
    public string Path { get; init; } = string.Empty;

    [Duration]
    public TimeSpan? Timeout { get; init; }
}

/// <summary>MeshConfig.ExtensionProvider.GrpcService of the OpenTelemetry provider.</summary>
public sealed record OpenTelemetryGrpc
{
    [Duration]
    public TimeSpan? Timeout { get; init; }
}

public sealed record ZipkinProvider
{
    public string Service { get; init; } = string.Empty;

    public uint Port { get; init; }

    public uint MaxTagLength { get; init; }

    public string Path { get; init; } = string.Empty;

    /// <summary>64-bit trace ids for new traces (Istio's default is 128-bit).</summary>
    public bool Enable64bitTraceId { get; init; }
}

public sealed record PrometheusProvider
{
}

public sealed record FileAccessLogProvider
{
    public string Path { get; init; } = string.Empty;

    public FileAccessLogFormat? LogFormat { get; init; }
}

public sealed record FileAccessLogFormat
{
    [OneOf("logFormat")]
    public string? Text { get; init; }

    [OneOf("logFormat")]
    public ValueMap<string, string>? Labels { get; init; }
}

/// <summary>
/// MeshConfig.ExtensionProvider.EnvoyExternalAuthorizationHttpProvider: an HTTP ext_authz server that
/// CUSTOM AuthorizationPolicies delegate to. <c>service</c> is a hostname or <c>NAMESPACE/HOSTNAME</c>.
/// </summary>
public sealed record ExtAuthzHttpProvider
{
    public string Service { get; init; } = string.Empty;

    public uint Port { get; init; }

    [Duration]
    public TimeSpan? Timeout { get; init; }

    public string PathPrefix { get; init; } = string.Empty;

    public bool FailOpen { get; init; }

    /// <summary>The status answered when the server cannot be reached or fails (a number as a string, Istio's form); empty means 403.</summary>
    public string StatusOnError { get; init; } = string.Empty;

    /// <summary>Istio's deprecated name of <see cref="IncludeRequestHeadersInCheck"/>, used only when that is empty.</summary>
    public ValueList<string> IncludeHeadersInCheck { get; init; }

    public ValueList<string> IncludeRequestHeadersInCheck { get; init; }

    public ValueMap<string, string> IncludeAdditionalHeadersInCheck { get; init; }

    public ExtAuthzRequestBody? IncludeRequestBodyInCheck { get; init; }

    public ValueList<string> HeadersToUpstreamOnAllow { get; init; }

    public ValueList<string> HeadersToDownstreamOnDeny { get; init; }

    public ValueList<string> HeadersToDownstreamOnAllow { get; init; }
}

/// <summary>MeshConfig.ExtensionProvider.EnvoyExternalAuthorizationGrpcProvider: a gRPC ext_authz server (<c>envoy.service.auth.v3.Authorization</c>).</summary>
public sealed record ExtAuthzGrpcProvider
{
    public string Service { get; init; } = string.Empty;

    public uint Port { get; init; }

    [Duration]
    public TimeSpan? Timeout { get; init; }

    public bool FailOpen { get; init; }

    public string StatusOnError { get; init; } = string.Empty;

    public ExtAuthzRequestBody? IncludeRequestBodyInCheck { get; init; }
}

/// <summary>MeshConfig.ExtensionProvider.EnvoyExternalAuthorizationRequestBody: send the request body (buffered up to a limit) with the check.</summary>
public sealed record ExtAuthzRequestBody
{
    public uint MaxRequestBytes { get; init; }

    public bool AllowPartialMessage { get; init; }

    public bool PackAsBytes { get; init; }
}

/// <summary>MeshConfig.DefaultProviders: providers used when no Telemetry resource names one.</summary>
public sealed record DefaultProviders
{
    public ValueList<string> Tracing { get; init; }

    public ValueList<string> Metrics { get; init; }

    public ValueList<string> AccessLogging { get; init; }
}
