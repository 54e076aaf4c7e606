using Envoy.Config.Listener.V3;
using Envoy.Config.Trace.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Meshwork.Config.Mesh;
using Meshwork.Pilot.Generators.Listeners;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Tests.Generators.Listeners;

/// <summary>The HCMs' tracing from the Telemetry API (workload over namespace over mesh) and MeshConfig, as Istio's configureTracing.</summary>
public sealed class HcmTracingTests
{
    private static readonly ProxyNode Reviews = RouteTestMesh.Proxy("reviews-v1", "127.0.0.10", "app=reviews,version=v1", ports: "http=9080");
    private static readonly ProxyNode Ratings = RouteTestMesh.Proxy("ratings-v1", "127.0.0.11", "app=ratings,version=v1", ports: "http=9080");
    private static readonly ProxyNode Gateway = RouteTestMesh.Proxy("ingress", "127.0.0.12", "istio=ingressgateway", ns: "istio-system", type: "router");

    private static readonly string Services =
        RouteTestMesh.Service("reviews") + RouteTestMesh.Service("ratings") +
        RouteTestMesh.Service("zipkin", ns: "istio-system", ports: "{number: 9411, name: http, protocol: HTTP}") +
        RouteTestMesh.Service("otel", ns: "istio-system", ports: "{number: 4317, name: grpc, protocol: GRPC}");

    private static MeshConfig Mesh(string yaml)
    {
        var outcome = MeshConfigReader.ReadText(yaml, "mesh.yaml");
        Assert.True(outcome.IsValid, string.Join("\n", outcome.Diagnostics));
        return outcome.Config;
    }

    private const string ProvidersYaml = """
        extensionProviders:
        - name: zipkin
          zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411}
        - name: otel
          opentelemetry: {service: otel.istio-system.svc.cluster.local, port: 4317}
        - name: otel-http
          opentelemetry: {service: otel.istio-system.svc.cluster.local, port: 4317, http: {path: /v1/traces}}

        """;

    private static readonly MeshConfig WithProviders = Mesh(ProvidersYaml);

    private static readonly MeshConfig DefaultZipkin = Mesh(ProvidersYaml + "defaultProviders: {tracing: [zipkin]}\n");

    private static HttpConnectionManager.Types.Tracing? Tracing(ProxyNode proxy, string telemetry, MeshConfig mesh, bool inbound)
    {
        var snapshot = RouteTestMesh.Snapshot(Services + telemetry, [Reviews, Ratings], mesh);
        var listener = new ListenerGenerator().Generate(snapshot, proxy, null).Select(r => r.Resource.Unpack<Listener>())
            .First(l => (l.TrafficDirection == Envoy.Config.Core.V3.TrafficDirection.Inbound) == inbound && l.FilterChains.SelectMany(c => c.Filters).Any(f => f.TypedConfig.Is(HttpConnectionManager.Descriptor)));
        return listener.FilterChains.SelectMany(c => c.Filters).Select(f => f.TypedConfig).First(t => t.Is(HttpConnectionManager.Descriptor)).Unpack<HttpConnectionManager>().Tracing;
    }

    private static string Telemetry(string name, string ns, string spec) => $"""
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {"{"}name: {name}, namespace: {ns}{"}"}
        spec:
        {spec}
        ---

        """;

    [Fact]
    public void Generate_NoTelemetry_LegacySamplingOnePercentWithIstioTagsAndNoProvider()
    {
        var tracing = Tracing(Reviews, string.Empty, MeshConfig.Default, inbound: true)!;

        Assert.Equal(1.0, tracing.RandomSampling.Value);
        Assert.Equal(100, tracing.ClientSampling.Value);
        Assert.Null(tracing.Provider);
        Assert.Equal(["istio.canonical_revision", "istio.canonical_service", "istio.cluster_id", "istio.mesh_id", "istio.namespace"], tracing.CustomTags.Select(t => t.Tag));
        Assert.Equal("reviews", tracing.CustomTags.Single(t => t.Tag == "istio.canonical_service").Literal.Value);
        Assert.Equal("v1", tracing.CustomTags.Single(t => t.Tag == "istio.canonical_revision").Literal.Value);
    }

    [Fact]
    public void Generate_EnableTracingFalse_NoTracing()
    {
        Assert.Null(Tracing(Reviews, string.Empty, Mesh("enableTracing: false"), inbound: true));
    }

    [Fact]
    public void Generate_LegacyZipkinAddressOfAMeshService_ZipkinProviderWithTheMeshSampling()
    {
        var mesh = Mesh("defaultConfig: {tracing: {sampling: 25, zipkin: {address: zipkin.istio-system.svc.cluster.local:9411}}}");

        var tracing = Tracing(Reviews, string.Empty, mesh, inbound: false)!;

        Assert.Equal(25, tracing.RandomSampling.Value);
        Assert.Equal(HcmTracing.ZipkinTracer, tracing.Provider.Name);
        Assert.Equal("outbound|9411||zipkin.istio-system.svc.cluster.local", tracing.Provider.TypedConfig.Unpack<ZipkinConfig>().CollectorCluster);
    }

    [Fact]
    public void Generate_DefaultProviderZipkin_IstiosZipkinConfig()
    {
        var mesh = DefaultZipkin;

        var tracing = Tracing(Reviews, string.Empty, mesh, inbound: true)!;
        var zipkin = tracing.Provider.TypedConfig.Unpack<ZipkinConfig>();

        Assert.Equal(HcmTracing.ZipkinTracer, tracing.Provider.Name);
        Assert.Equal("outbound|9411||zipkin.istio-system.svc.cluster.local", zipkin.CollectorCluster);
        Assert.Equal("/api/v2/spans", zipkin.CollectorEndpoint);
        Assert.Equal(ZipkinConfig.Types.CollectorEndpointVersion.HttpJson, zipkin.CollectorEndpointVersion);
        Assert.True(zipkin.TraceId128Bit);
        Assert.False(zipkin.SharedSpanContext);
        Assert.Equal(1.0, tracing.RandomSampling.Value);
        Assert.Null(tracing.SpawnUpstreamSpan);
    }

    [Fact]
    public void Generate_WorkloadOverNamespaceOverMesh_SamplingAndProviderFromTheNearestLevel()
    {
        var telemetry =
            Telemetry("mesh", "istio-system", "  tracing: [{providers: [{name: zipkin}], randomSamplingPercentage: 10}]") +
            Telemetry("ns", "default", "  tracing: [{randomSamplingPercentage: 50}]") +
            Telemetry("reviews", "default", "  selector: {matchLabels: {app: reviews}}\n  tracing: [{providers: [{name: otel-http}], randomSamplingPercentage: 100}]");

        var reviews = Tracing(Reviews, telemetry, WithProviders, inbound: true)!;
        var ratings = Tracing(Ratings, telemetry, WithProviders, inbound: true)!;

        Assert.Equal(100, reviews.RandomSampling.Value);
        Assert.Equal(HcmTracing.OpenTelemetryTracer, reviews.Provider.Name);
        var otel = reviews.Provider.TypedConfig.Unpack<OpenTelemetryConfig>();
        Assert.Equal("outbound|4317||otel.istio-system.svc.cluster.local", otel.HttpService.HttpUri.Cluster);
        Assert.Equal("otel.istio-system.svc.cluster.local/v1/traces", otel.HttpService.HttpUri.Uri);
        Assert.Equal("reviews.default", otel.ServiceName);
        Assert.Equal(50, ratings.RandomSampling.Value);
        Assert.Equal(HcmTracing.ZipkinTracer, ratings.Provider.Name);
    }

    [Fact]
    public void Generate_OpenTelemetryWithoutHttp_GrpcServiceToTheCollectorCluster()
    {
        var telemetry = Telemetry("mesh", "istio-system", "  tracing: [{providers: [{name: otel}]}]");

        var otel = Tracing(Reviews, telemetry, WithProviders, inbound: false)!.Provider.TypedConfig.Unpack<OpenTelemetryConfig>();

        Assert.Equal("outbound|4317||otel.istio-system.svc.cluster.local", otel.GrpcService.EnvoyGrpc.ClusterName);
        Assert.Equal("otel.istio-system.svc.cluster.local", otel.GrpcService.EnvoyGrpc.Authority);
    }

    [Fact]
    public void Generate_ModeAndDisableSpanReporting_ApplyToTheirSideOnly()
    {
        var telemetry = Telemetry("mesh", "istio-system", """
              tracing:
              - providers: [{name: zipkin}]
                customTags: {team: {literal: {value: bookinfo}}, user: {header: {name: x-user, defaultValue: none}}}
              - match: {mode: CLIENT}
                disableSpanReporting: true
            """);

        var server = Tracing(Reviews, telemetry, WithProviders, inbound: true)!;
        var client = Tracing(Reviews, telemetry, WithProviders, inbound: false);

        Assert.Null(client);
        Assert.Equal("bookinfo", server.CustomTags.Single(t => t.Tag == "team").Literal.Value);
        Assert.Equal("x-user", server.CustomTags.Single(t => t.Tag == "user").RequestHeader.Name);
        Assert.Equal(server.CustomTags.Select(t => t.Tag).Order(StringComparer.Ordinal), server.CustomTags.Select(t => t.Tag));
    }

    [Fact]
    public void Generate_UnknownCollectorService_NoTracing()
    {
        var mesh = Mesh("extensionProviders: [{name: zipkin, zipkin: {service: nowhere.example.com, port: 9411}}]\ndefaultProviders: {tracing: [zipkin]}");

        Assert.Null(Tracing(Reviews, string.Empty, mesh, inbound: true));
    }

    [Fact]
    public void Generate_Gateway_ClientSpecWithSpawnUpstreamSpan()
    {
        var gatewayYaml = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: gw, namespace: istio-system}
            spec:
              selector: {istio: ingressgateway}
              servers: [{port: {number: 8080, name: http, protocol: HTTP}, hosts: ["*"]}]
            ---

            """;
        var mesh = DefaultZipkin;
        var snapshot = RouteTestMesh.Snapshot(Services + gatewayYaml, [Reviews, Gateway], mesh);

        var listener = new ListenerGenerator().Generate(snapshot, Gateway, null).Select(r => r.Resource.Unpack<Listener>()).Single();
        var tracing = listener.FilterChains[0].Filters[0].TypedConfig.Unpack<HttpConnectionManager>().Tracing;

        Assert.True(tracing.SpawnUpstreamSpan);
        Assert.Equal(HcmTracing.ZipkinTracer, tracing.Provider.Name);
    }
}
