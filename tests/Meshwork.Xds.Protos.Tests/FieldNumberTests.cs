using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Fault.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Listener.TlsInspector.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Envoy.Extensions.Retry.Priority.PreviousPriorities.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Envoy.Service.Discovery.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Istio.V1.Auth;
using Meshwork.Xds.Protos.Tests.Support;
using CommonFault = Envoy.Extensions.Filters.Common.Fault.V3;
using CoreHttp = Envoy.Config.Core.V3.HttpProtocolOptions;
using Auth = Envoy.Service.Auth.V3;
using CorsFilter = Envoy.Extensions.Filters.Http.Cors.V3;
using ExtAuthz = Envoy.Extensions.Filters.Http.ExtAuthz.V3;
using RouteCors = Envoy.Config.Route.V3.CorsPolicy;
using MixerClient = Istio.Mixer.V1.Config.Client;
using UpstreamHttp = Envoy.Extensions.Upstreams.Http.V3;

namespace Meshwork.Xds.Protos.Tests;

// Each case sets one field, serializes, and reads the raw tag back. The expected numbers were
// read from Envoy's (and Istio's) own .proto files, not from these hand-written ones.
public class FieldNumberTests
{
    private static readonly Duration OneSecond = Duration.FromTimeSpan(TimeSpan.FromSeconds(1));

    private static readonly (string Field, int Number, Func<IMessage> Build)[] Cases =
    [
        ("NetworkFailPolicy.policy", 1, () => new MixerClient.NetworkFailPolicy { Policy = MixerClient.NetworkFailPolicy.Types.FailPolicy.FailClose }),
        ("NetworkFailPolicy.base_retry_wait", 3, () => new MixerClient.NetworkFailPolicy { BaseRetryWait = OneSecond }),
        ("ServiceConfig.quota_spec", 5, () => new MixerClient.ServiceConfig { QuotaSpec = { new MixerClient.QuotaSpec() } }),
        ("ServiceConfig.network_fail_policy", 7, () => new MixerClient.ServiceConfig { NetworkFailPolicy = new MixerClient.NetworkFailPolicy() }),
        ("ServiceConfig.forward_attributes", 8, () => new MixerClient.ServiceConfig { ForwardAttributes = new Istio.Mixer.V1.Attributes() }),
        ("TransportConfig.check_cluster", 6, () => new MixerClient.TransportConfig { CheckCluster = "c" }),
        ("TransportConfig.attributes_for_mixer_proxy", 8, () => new MixerClient.TransportConfig { AttributesForMixerProxy = new Istio.Mixer.V1.Attributes() }),
        ("TransportConfig.report_batch_max_entries", 9, () => new MixerClient.TransportConfig { ReportBatchMaxEntries = 100 }),
        ("TransportConfig.report_batch_max_time", 10, () => new MixerClient.TransportConfig { ReportBatchMaxTime = OneSecond }),
        ("HttpClientConfig.default_destination_service", 3, () => new MixerClient.HttpClientConfig { DefaultDestinationService = "d" }),
        ("HttpClientConfig.mixer_attributes", 4, () => new MixerClient.HttpClientConfig { MixerAttributes = new Istio.Mixer.V1.Attributes() }),
        ("QuotaRule.quotas", 2, () => new MixerClient.QuotaRule { Quotas = { new MixerClient.Quota() } }),
        ("StringMatch.regex", 3, () => new MixerClient.StringMatch { Regex = "r" }),
        ("Quota.charge", 2, () => new MixerClient.Quota { Charge = 1 }),
        ("AccessLogFilter.duration_filter", 2, () => new Envoy.Config.Accesslog.V3.AccessLogFilter { DurationFilter = new Envoy.Config.Accesslog.V3.DurationFilter() }),
        ("AccessLogFilter.and_filter", 6, () => new Envoy.Config.Accesslog.V3.AccessLogFilter { AndFilter = new Envoy.Config.Accesslog.V3.AndFilter() }),
        ("AccessLogFilter.or_filter", 7, () => new Envoy.Config.Accesslog.V3.AccessLogFilter { OrFilter = new Envoy.Config.Accesslog.V3.OrFilter() }),
        ("AccessLogFilter.extension_filter", 11, () => new Envoy.Config.Accesslog.V3.AccessLogFilter { ExtensionFilter = new Envoy.Config.Accesslog.V3.ExtensionFilter() }),
        ("ExtensionFilter.typed_config", 3, () => new Envoy.Config.Accesslog.V3.ExtensionFilter { TypedConfig = Any.Pack(new Envoy.Extensions.AccessLoggers.Filters.Cel.V3.ExpressionFilter()) }),
        ("Listener.api_listener", 19, () => new Listener { ApiListener = new ApiListener() }),
        ("Listener.default_filter_chain", 25, () => new Listener { DefaultFilterChain = new FilterChain() }),
        ("Listener.traffic_direction", 16, () => new Listener { TrafficDirection = TrafficDirection.Inbound }),
        ("Listener.bind_to_port", 26, () => new Listener { BindToPort = false }),
        ("Listener.listener_filters", 9, () => new Listener { ListenerFilters = { new ListenerFilter() } }),
        ("ApiListener.api_listener", 1, () => new ApiListener { ApiListener_ = Any.Pack(new HttpConnectionManager()) }),
        ("FilterChainMatch.destination_port", 8, () => new FilterChainMatch { DestinationPort = 80 }),
        ("FilterChainMatch.server_names", 11, () => new FilterChainMatch { ServerNames = { "a.example" } }),
        ("FilterChainMatch.application_protocols", 10, () => new FilterChainMatch { ApplicationProtocols = { "h2" } }),
        ("FilterChain.transport_socket", 6, () => new FilterChain { TransportSocket = new TransportSocket() }),
        ("HttpConnectionManager.rds", 3, () => new HttpConnectionManager { Rds = new Rds() }),
        ("HttpConnectionManager.http_filters", 5, () => new HttpConnectionManager { HttpFilters = { new HttpFilter { Name = "r" } } }),
        ("HttpConnectionManager.common_http_protocol_options", 35, () => new HttpConnectionManager { CommonHttpProtocolOptions = new CoreHttp() }),
        ("HttpConnectionManager.stream_idle_timeout", 24, () => new HttpConnectionManager { StreamIdleTimeout = OneSecond }),
        ("HttpConnectionManager.forward_client_cert_details", 16, () => new HttpConnectionManager { ForwardClientCertDetails = HttpConnectionManager.Types.ForwardClientCertDetails.AppendForward }),
        ("HttpConnectionManager.preserve_external_request_id", 32, () => new HttpConnectionManager { PreserveExternalRequestId = true }),
        ("HttpFilter.typed_config", 4, () => new HttpFilter { TypedConfig = Any.Pack(new Router()) }),
        ("HttpFilter.is_optional", 6, () => new HttpFilter { IsOptional = true }),
        ("Rds.route_config_name", 2, () => new Rds { RouteConfigName = "r" }),
        ("RouteConfiguration.validate_clusters", 7, () => new RouteConfiguration { ValidateClusters = false }),
        ("VirtualHost.typed_per_filter_config", 15, () => new VirtualHost { TypedPerFilterConfig = { ["f"] = Any.Pack(new FilterConfig()) } }),
        ("VirtualHost.retry_policy", 16, () => new VirtualHost { RetryPolicy = new RetryPolicy() }),
        ("Route.name", 14, () => new Route { Name = "r" }),
        ("Route.non_forwarding_action", 18, () => new Route { NonForwardingAction = new NonForwardingAction() }),
        ("Route.typed_per_filter_config", 13, () => new Route { TypedPerFilterConfig = { ["f"] = Any.Pack(new FilterConfig()) } }),
        ("RouteMatch.safe_regex", 10, () => new RouteMatch { SafeRegex = new RegexMatcher { Regex = ".*" } }),
        ("RouteMatch.path_separated_prefix", 14, () => new RouteMatch { PathSeparatedPrefix = "/api" }),
        ("RouteMatch.runtime_fraction", 9, () => new RouteMatch { RuntimeFraction = new RuntimeFractionalPercent() }),
        ("HeaderMatcher.string_match", 13, () => new HeaderMatcher { StringMatch = new StringMatcher() }),
        ("HeaderMatcher.treat_missing_header_as_empty", 14, () => new HeaderMatcher { TreatMissingHeaderAsEmpty = true }),
        ("WeightedCluster.ClusterWeight.typed_per_filter_config", 10, () => new WeightedCluster.Types.ClusterWeight { TypedPerFilterConfig = { ["f"] = Any.Pack(new FilterConfig()) } }),
        ("RouteAction.idle_timeout", 24, () => new RouteAction { IdleTimeout = OneSecond }),
        ("RouteAction.hash_policy", 15, () => new RouteAction { HashPolicy = { new RouteAction.Types.HashPolicy() } }),
        ("RouteAction.request_mirror_policies", 30, () => new RouteAction { RequestMirrorPolicies = { new RouteAction.Types.RequestMirrorPolicy() } }),
        ("RouteAction.regex_rewrite", 32, () => new RouteAction { RegexRewrite = new RegexMatchAndSubstitute() }),
        ("RouteAction.max_stream_duration", 36, () => new RouteAction { MaxStreamDuration = new RouteAction.Types.MaxStreamDuration() }),
        ("RouteAction.MaxStreamDuration.grpc_timeout_header_max", 2, () => new RouteAction.Types.MaxStreamDuration { GrpcTimeoutHeaderMax = OneSecond }),
        ("RouteAction.HashPolicy.Cookie.attributes", 4, () => new RouteAction.Types.HashPolicy.Types.Cookie { Attributes = { new RouteAction.Types.HashPolicy.Types.CookieAttribute() } }),
        ("RetryPolicy.retry_back_off", 8, () => new RetryPolicy { RetryBackOff = new RetryPolicy.Types.RetryBackOff() }),
        ("RetryPolicy.per_try_idle_timeout", 13, () => new RetryPolicy { PerTryIdleTimeout = OneSecond }),
        ("RedirectAction.scheme_redirect", 7, () => new RedirectAction { SchemeRedirect = "https" }),
        ("route.v3.CorsPolicy.allow_private_network_access", 12, () => new RouteCors { AllowPrivateNetworkAccess = true }),
        ("cors.v3.CorsPolicy.allow_private_network_access", 9, () => new CorsFilter.CorsPolicy { AllowPrivateNetworkAccess = true }),
        ("HTTPFault.abort", 2, () => new HTTPFault { Abort = new FaultAbort() }),
        ("FaultAbort.grpc_status", 5, () => new FaultAbort { GrpcStatus = 14 }),
        ("FaultDelay.fixed_delay", 3, () => new CommonFault.FaultDelay { FixedDelay = OneSecond }),
        ("TcpProxy.weighted_clusters", 10, () => new TcpProxy { WeightedClusters = new TcpProxy.Types.WeightedCluster() }),
        ("TcpProxy.max_connect_attempts", 7, () => new TcpProxy { MaxConnectAttempts = 2 }),
        ("Cluster.lb_policy", 6, () => new Cluster { LbPolicy = Cluster.Types.LbPolicy.RingHash }),
        ("Cluster.cluster_type", 38, () => new Cluster { ClusterType = new Cluster.Types.CustomClusterType() }),
        ("Cluster.load_assignment", 33, () => new Cluster { LoadAssignment = new ClusterLoadAssignment() }),
        ("Cluster.typed_extension_protocol_options", 36, () => new Cluster { TypedExtensionProtocolOptions = { ["k"] = Any.Pack(new UpstreamHttp.HttpProtocolOptions()) } }),
        ("Cluster.outlier_detection", 19, () => new Cluster { OutlierDetection = new OutlierDetection() }),
        ("Cluster.transport_socket_matches", 43, () => new Cluster { TransportSocketMatches = { new Cluster.Types.TransportSocketMatch() } }),
        ("Cluster.maglev_lb_config", 52, () => new Cluster { MaglevLbConfig = new Cluster.Types.MaglevLbConfig() }),
        ("Cluster.load_balancing_policy", 41, () => new Cluster { LoadBalancingPolicy = new LoadBalancingPolicy() }),
        ("Cluster.lrs_server", 42, () => new Cluster { LrsServer = new ConfigSource() }),
        ("Cluster.common_lb_config", 27, () => new Cluster { CommonLbConfig = new Cluster.Types.CommonLbConfig() }),
        ("CommonLbConfig.locality_weighted_lb_config", 3, () => new Cluster.Types.CommonLbConfig { LocalityWeightedLbConfig = new Cluster.Types.CommonLbConfig.Types.LocalityWeightedLbConfig() }),
        ("CommonLbConfig.zone_aware_lb_config", 2, () => new Cluster.Types.CommonLbConfig { ZoneAwareLbConfig = new Cluster.Types.CommonLbConfig.Types.ZoneAwareLbConfig() }),
        ("CircuitBreakers.Thresholds.retry_budget", 8, () => new CircuitBreakers.Types.Thresholds { RetryBudget = new CircuitBreakers.Types.Thresholds.Types.RetryBudget() }),
        ("OutlierDetection.split_external_local_origin_errors", 12, () => new OutlierDetection { SplitExternalLocalOriginErrors = true }),
        ("OutlierDetection.max_ejection_time", 21, () => new OutlierDetection { MaxEjectionTime = OneSecond }),
        ("UpstreamHttp.HttpProtocolOptions.explicit_http_config", 3, () => new UpstreamHttp.HttpProtocolOptions { ExplicitHttpConfig = new UpstreamHttp.HttpProtocolOptions.Types.ExplicitHttpConfig() }),
        ("core.HttpProtocolOptions.max_stream_duration", 4, () => new CoreHttp { MaxStreamDuration = OneSecond }),
        ("ClusterLoadAssignment.policy", 4, () => new ClusterLoadAssignment { Policy = new ClusterLoadAssignment.Types.Policy() }),
        ("LocalityLbEndpoints.load_balancing_weight", 3, () => new LocalityLbEndpoints { LoadBalancingWeight = 1 }),
        ("LocalityLbEndpoints.priority", 5, () => new LocalityLbEndpoints { Priority = 1 }),
        ("LbEndpoint.load_balancing_weight", 4, () => new LbEndpoint { LoadBalancingWeight = 1 }),
        ("Endpoint.additional_addresses", 4, () => new Endpoint { AdditionalAddresses = { new Endpoint.Types.AdditionalAddress() } }),
        ("DiscoveryRequest.error_detail", 6, () => new DiscoveryRequest { ErrorDetail = new Google.Rpc.Status() }),
        ("DeltaDiscoveryResponse.removed_resources", 6, () => new DeltaDiscoveryResponse { RemovedResources = { "a" } }),
        ("Resource.name", 3, () => new Resource { Name = "a" }),
        ("Node.locality", 4, () => new Node { Locality = new Locality() }),
        ("Locality.sub_zone", 3, () => new Locality { SubZone = "rack1" }),
        ("Node.user_agent_version", 7, () => new Node { UserAgentVersion = "1.14.1" }),
        ("Node.client_features", 10, () => new Node { ClientFeatures = { "envoy.lb.does_not_support_overprovisioning" } }),
        ("ConfigSource.self", 5, () => new ConfigSource { Self = new SelfConfigSource() }),
        ("ConfigSource.resource_api_version", 6, () => new ConfigSource { ResourceApiVersion = ApiVersion.V3 }),
        ("HeaderValueOption.append_action", 3, () => new HeaderValueOption { AppendAction = HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd }),
        ("DataSource.environment_variable", 4, () => new DataSource { EnvironmentVariable = "CERT" }),
        ("StringMatcher.contains", 7, () => new StringMatcher { Contains = "x" }),
        ("StringMatcher.ignore_case", 6, () => new StringMatcher { IgnoreCase = true }),
        ("CommonTlsContext.tls_certificate_provider_instance", 14, () => new CommonTlsContext { TlsCertificateProviderInstance = new CertificateProviderPluginInstance() }),
        ("CertificateValidationContext.match_typed_subject_alt_names", 15, () => new CertificateValidationContext { MatchTypedSubjectAltNames = { new SubjectAltNameMatcher() } }),
        ("CertificateValidationContext.match_subject_alt_names", 9, () => new CertificateValidationContext { MatchSubjectAltNames = { new StringMatcher { Exact = "spiffe://td/ns/a/sa/b" } } }),
        ("CertificateValidationContext.ca_certificate_provider_instance", 13, () => new CertificateValidationContext { CaCertificateProviderInstance = new CertificateProviderPluginInstance() }),
        ("UpstreamTlsContext.sni", 2, () => new UpstreamTlsContext { Sni = "outbound_.80_._.a" }),
        ("DownstreamTlsContext.require_client_certificate", 2, () => new DownstreamTlsContext { RequireClientCertificate = true }),
        ("Secret.validation_context", 4, () => new Secret { ValidationContext = new CertificateValidationContext() }),
        ("IstioCertificateRequest.validity_duration", 3, () => new IstioCertificateRequest { ValidityDuration = 3600 }),
        ("IstioCertificateRequest.metadata", 4, () => new IstioCertificateRequest { Metadata = new Struct() }),
        ("TlsInspector.enable_ja3_fingerprinting", 1, () => new TlsInspector { EnableJa3Fingerprinting = true }),
        ("TlsInspector.initial_read_buffer_size", 2, () => new TlsInspector { InitialReadBufferSize = 4096 }),
        ("PreviousPrioritiesConfig.update_frequency", 1, () => new PreviousPrioritiesConfig { UpdateFrequency = 2 }),
        ("Http1ProtocolOptions.allow_absolute_url", 1, () => new Http1ProtocolOptions { AllowAbsoluteUrl = true }),
        ("RetryPolicy.host_selection_retry_max_attempts", 6, () => new RetryPolicy { HostSelectionRetryMaxAttempts = 5 }),
        ("ExtAuthz.grpc_service", 1, () => new ExtAuthz.ExtAuthz { GrpcService = new GrpcService() }),
        ("ExtAuthz.http_service", 3, () => new ExtAuthz.ExtAuthz { HttpService = new ExtAuthz.HttpService() }),
        ("ExtAuthz.failure_mode_allow", 2, () => new ExtAuthz.ExtAuthz { FailureModeAllow = true }),
        ("ExtAuthz.with_request_body", 5, () => new ExtAuthz.ExtAuthz { WithRequestBody = new ExtAuthz.BufferSettings() }),
        ("ExtAuthz.status_on_error", 7, () => new ExtAuthz.ExtAuthz { StatusOnError = new Envoy.Type.V3.HttpStatus() }),
        ("ExtAuthz.include_peer_certificate", 10, () => new ExtAuthz.ExtAuthz { IncludePeerCertificate = true }),
        ("ExtAuthz.transport_api_version", 12, () => new ExtAuthz.ExtAuthz { TransportApiVersion = ApiVersion.V3 }),
        ("ExtAuthz.stat_prefix", 13, () => new ExtAuthz.ExtAuthz { StatPrefix = "s" }),
        ("ExtAuthz.filter_enabled_metadata", 14, () => new ExtAuthz.ExtAuthz { FilterEnabledMetadata = new MetadataMatcher() }),
        ("ExtAuthz.allowed_headers", 17, () => new ExtAuthz.ExtAuthz { AllowedHeaders = new ListStringMatcher() }),
        ("BufferSettings.pack_as_bytes", 3, () => new ExtAuthz.BufferSettings { PackAsBytes = true }),
        ("HttpService.path_prefix", 2, () => new ExtAuthz.HttpService { PathPrefix = "/p" }),
        ("HttpService.authorization_request", 7, () => new ExtAuthz.HttpService { AuthorizationRequest = new ExtAuthz.AuthorizationRequest() }),
        ("HttpService.authorization_response", 8, () => new ExtAuthz.HttpService { AuthorizationResponse = new ExtAuthz.AuthorizationResponse() }),
        ("AuthorizationRequest.headers_to_add", 2, () => new ExtAuthz.AuthorizationRequest { HeadersToAdd = { new HeaderValue() } }),
        ("AuthorizationResponse.allowed_client_headers", 2, () => new ExtAuthz.AuthorizationResponse { AllowedClientHeaders = new ListStringMatcher() }),
        ("AuthorizationResponse.allowed_upstream_headers_to_append", 3, () => new ExtAuthz.AuthorizationResponse { AllowedUpstreamHeadersToAppend = new ListStringMatcher() }),
        ("AuthorizationResponse.allowed_client_headers_on_success", 4, () => new ExtAuthz.AuthorizationResponse { AllowedClientHeadersOnSuccess = new ListStringMatcher() }),
        ("CheckResponse.denied_response", 2, () => new Auth.CheckResponse { DeniedResponse = new Auth.DeniedHttpResponse() }),
        ("CheckResponse.ok_response", 3, () => new Auth.CheckResponse { OkResponse = new Auth.OkHttpResponse() }),
        ("OkHttpResponse.headers_to_remove", 5, () => new Auth.OkHttpResponse { HeadersToRemove = { "x" } }),
        ("AttributeContext.request", 4, () => new Auth.AttributeContext { Request = new Auth.AttributeContext.Types.Request() }),
        ("AttributeContext.HttpRequest.protocol", 10, () => new Auth.AttributeContext.Types.HttpRequest { Protocol = "HTTP/1.1" }),
        ("HttpConnectionManager.Tracing.custom_tags", 8, () => new HttpConnectionManager.Types.Tracing { CustomTags = { new Envoy.Type.Tracing.V3.CustomTag() } }),
        ("HttpConnectionManager.Tracing.spawn_upstream_span", 10, () => new HttpConnectionManager.Types.Tracing { SpawnUpstreamSpan = true }),
        ("ZipkinConfig.collector_endpoint_version", 5, () => new Envoy.Config.Trace.V3.ZipkinConfig { CollectorEndpointVersion = Envoy.Config.Trace.V3.ZipkinConfig.Types.CollectorEndpointVersion.HttpJson }),
        ("ZipkinConfig.collector_hostname", 6, () => new Envoy.Config.Trace.V3.ZipkinConfig { CollectorHostname = "zipkin" }),
        ("ZipkinConfig.collector_service", 9, () => new Envoy.Config.Trace.V3.ZipkinConfig { CollectorService = new HttpService() }),
        ("OpenTelemetryConfig.http_service", 3, () => new Envoy.Config.Trace.V3.OpenTelemetryConfig { HttpService = new HttpService() }),
        ("OpenTelemetryConfig.service_name", 2, () => new Envoy.Config.Trace.V3.OpenTelemetryConfig { ServiceName = "a.default" }),
        ("CustomTag.request_header", 4, () => new Envoy.Type.Tracing.V3.CustomTag { RequestHeader = new Envoy.Type.Tracing.V3.CustomTag.Types.Header() }),
        ("CustomTag.response_header", 6, () => new Envoy.Type.Tracing.V3.CustomTag { ResponseHeader = new Envoy.Type.Tracing.V3.CustomTag.Types.Header() }),
        ("HttpService.request_headers_to_add", 2, () => new HttpService { RequestHeadersToAdd = { new HeaderValueOption() } }),
        ("otlp Span.flags", 16, () => new OpenTelemetry.Proto.Trace.V1.Span { Flags = 1 }),
        ("otlp Span.status", 15, () => new OpenTelemetry.Proto.Trace.V1.Span { Status = new OpenTelemetry.Proto.Trace.V1.Status() }),
        ("otlp Span.parent_span_id", 4, () => new OpenTelemetry.Proto.Trace.V1.Span { ParentSpanId = ByteString.CopyFrom(1) }),
        ("otlp Status.code", 3, () => new OpenTelemetry.Proto.Trace.V1.Status { Code = OpenTelemetry.Proto.Trace.V1.Status.Types.StatusCode.Error }),
        ("otlp AnyValue.bytes_value", 7, () => new OpenTelemetry.Proto.Common.V1.AnyValue { BytesValue = ByteString.CopyFrom(1) }),
    ];

    public static TheoryData<string, int> FieldsAndNumbers()
    {
        var data = new TheoryData<string, int>();
        foreach (var (field, number, _) in Cases)
        {
            data.Add(field, number);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FieldsAndNumbers))]
    public void Serialize_SingleFieldSet_WritesEnvoysFieldNumber(string field, int number)
    {
        var message = Cases.Single(c => c.Field == field).Build();

        var written = WireFields.TopLevel(message);

        Assert.Equal([number], written.Select(f => f.Number));
    }
}
