using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Meshwork.Xds.Protos;

/// <summary>JSON of xDS messages (including the <c>Any</c>s inside), as Envoy's config_dump shows them.</summary>
public static class XdsJson
{
    /// <summary>
    /// Every .proto file of this assembly, named one by one so <c>Any</c> payloads can be printed in
    /// a NativeAOT binary too (no assembly scan). A test checks the list against the assembly.
    /// </summary>
    public static IReadOnlyList<FileDescriptor> Files { get; } =
    [
        global::Envoy.Config.Cluster.V3.CircuitBreakerReflection.Descriptor,
        global::Envoy.Config.Cluster.V3.ClusterReflection.Descriptor,
        global::Envoy.Config.Cluster.V3.FilterReflection.Descriptor,
        global::Envoy.Config.Cluster.V3.OutlierDetectionReflection.Descriptor,
        global::Envoy.Config.Core.V3.AddressReflection.Descriptor,
        global::Envoy.Config.Core.V3.BaseReflection.Descriptor,
        global::Envoy.Config.Accesslog.V3.AccesslogReflection.Descriptor,
        global::Envoy.Config.Core.V3.ConfigSourceReflection.Descriptor,
        global::Envoy.Config.Core.V3.ExtensionReflection.Descriptor,
        global::Envoy.Config.Core.V3.GrpcServiceReflection.Descriptor,
        global::Envoy.Config.Core.V3.HealthCheckReflection.Descriptor,
        global::Envoy.Config.Core.V3.HttpServiceReflection.Descriptor,
        global::Envoy.Config.Core.V3.HttpUriReflection.Descriptor,
        global::Envoy.Config.Core.V3.ProtocolReflection.Descriptor,
        global::Envoy.Config.Core.V3.ProxyProtocolReflection.Descriptor,
        global::Envoy.Config.Core.V3.SubstitutionFormatStringReflection.Descriptor,
        global::Envoy.Config.Endpoint.V3.EndpointComponentsReflection.Descriptor,
        global::Envoy.Config.Endpoint.V3.EndpointReflection.Descriptor,
        global::Envoy.Config.Listener.V3.ApiListenerReflection.Descriptor,
        global::Envoy.Config.Listener.V3.ListenerComponentsReflection.Descriptor,
        global::Envoy.Config.Listener.V3.ListenerReflection.Descriptor,
        global::Envoy.Config.Rbac.V3.RbacReflection.Descriptor,
        global::Envoy.Config.Route.V3.RouteComponentsReflection.Descriptor,
        global::Envoy.Config.Route.V3.RouteReflection.Descriptor,
        global::Envoy.Config.Trace.V3.HttpTracerReflection.Descriptor,
        global::Envoy.Config.Trace.V3.OpentelemetryReflection.Descriptor,
        global::Envoy.Config.Trace.V3.ZipkinReflection.Descriptor,
        global::Envoy.Extensions.AccessLoggers.File.V3.FileReflection.Descriptor,
        global::Envoy.Extensions.AccessLoggers.Filters.Cel.V3.CelReflection.Descriptor,
        global::Envoy.Extensions.Filters.Common.Fault.V3.FaultReflection.Descriptor,
        global::Envoy.Extensions.Filters.Http.Cors.V3.CorsReflection.Descriptor,
        global::Envoy.Extensions.Filters.Http.ExtAuthz.V3.ExtAuthzReflection.Descriptor,
        global::Envoy.Extensions.Filters.Http.Fault.V3.FaultReflection.Descriptor,
        global::Envoy.Extensions.Filters.Http.JwtAuthn.V3.ConfigReflection.Descriptor,
        global::Envoy.Extensions.Filters.Http.Rbac.V3.RbacReflection.Descriptor,
        global::Envoy.Extensions.Filters.Http.Router.V3.RouterReflection.Descriptor,
        global::Envoy.Extensions.Filters.Listener.TlsInspector.V3.TlsInspectorReflection.Descriptor,
        global::Envoy.Extensions.Filters.Network.ExtAuthz.V3.ExtAuthzReflection.Descriptor,
        global::Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManagerReflection.Descriptor,
        global::Envoy.Extensions.Filters.Network.Rbac.V3.RbacReflection.Descriptor,
        global::Envoy.Extensions.Filters.Network.TcpProxy.V3.TcpProxyReflection.Descriptor,
        global::Envoy.Extensions.Retry.Host.PreviousHosts.V3.PreviousHostsReflection.Descriptor,
        global::Envoy.Extensions.Retry.Priority.PreviousPriorities.V3.PreviousPrioritiesConfigReflection.Descriptor,
        global::Envoy.Extensions.TransportSockets.ProxyProtocol.V3.UpstreamProxyProtocolReflection.Descriptor,
        global::Envoy.Extensions.TransportSockets.RawBuffer.V3.RawBufferReflection.Descriptor,
        global::Envoy.Extensions.TransportSockets.Tls.V3.CommonReflection.Descriptor,
        global::Envoy.Extensions.TransportSockets.Tls.V3.SecretReflection.Descriptor,
        global::Envoy.Extensions.TransportSockets.Tls.V3.TlsReflection.Descriptor,
        global::Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptionsReflection.Descriptor,
        global::Envoy.Service.Auth.V3.AttributeContextReflection.Descriptor,
        global::Envoy.Service.Auth.V3.ExternalAuthReflection.Descriptor,
        global::Envoy.Service.Discovery.V3.AdsReflection.Descriptor,
        global::Envoy.Service.Discovery.V3.DiscoveryReflection.Descriptor,
        global::Envoy.Service.Secret.V3.SdsReflection.Descriptor,
        global::Envoy.Tcp.MetadataExchange.Config.MetadataExchangeReflection.Descriptor,
        global::Envoy.Type.Matcher.V3.MetadataReflection.Descriptor,
        global::Envoy.Type.Matcher.V3.NumberReflection.Descriptor,
        global::Envoy.Type.Matcher.V3.PathReflection.Descriptor,
        global::Envoy.Type.Matcher.V3.RegexReflection.Descriptor,
        global::Envoy.Type.Matcher.V3.StringReflection.Descriptor,
        global::Envoy.Type.Matcher.V3.ValueReflection.Descriptor,
        global::Envoy.Type.V3.HttpStatusReflection.Descriptor,
        global::Envoy.Type.Tracing.V3.CustomTagReflection.Descriptor,
        global::Envoy.Type.V3.PercentReflection.Descriptor,
        global::Envoy.Type.V3.RangeReflection.Descriptor,
        global::Envoy.Type.V3.SemanticVersionReflection.Descriptor,
        global::Google.Rpc.StatusReflection.Descriptor,
        global::Istio.Http.PeerMetadata.ConfigReflection.Descriptor,
        global::Istio.Stats.ConfigReflection.Descriptor,
        global::Istio.V1.Auth.CaReflection.Descriptor,
        global::Istio.Mixer.V1.AttributesReflection.Descriptor,
        global::Istio.Mixer.V1.Config.Client.ClientConfigReflection.Descriptor,
        global::Istio.Mixer.V1.Config.Client.QuotaReflection.Descriptor,
        global::Istio.Mixer.V1.MixerReflection.Descriptor,
        global::OpenTelemetry.Proto.Collector.Trace.V1.TraceServiceReflection.Descriptor,
        global::OpenTelemetry.Proto.Common.V1.CommonReflection.Descriptor,
        global::OpenTelemetry.Proto.Resource.V1.ResourceReflection.Descriptor,
        global::OpenTelemetry.Proto.Trace.V1.TraceReflection.Descriptor,
        global::Xds.Core.V3.ContextParamsReflection.Descriptor,
    ];

    public static TypeRegistry Types { get; } = TypeRegistry.FromFiles(Files);

    public static JsonFormatter Formatter { get; } = new(JsonFormatter.Settings.Default.WithTypeRegistry(Types).WithIndentation("  "));

    public static JsonParser Parser { get; } = new(JsonParser.Settings.Default.WithTypeRegistry(Types));

    public static string Format(IMessage message) => Formatter.Format(message);
}
