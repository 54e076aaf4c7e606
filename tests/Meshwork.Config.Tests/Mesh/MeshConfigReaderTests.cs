using Meshwork.Config.Mesh;

namespace Meshwork.Config.Tests.Mesh;

public class MeshConfigReaderTests
{
    [Fact]
    public void Read_EmptyFile_GivesIstioDefaults()
    {
        var outcome = MeshConfigReader.ReadText(string.Empty, "mesh.yaml");

        Assert.True(outcome.IsValid);
        Assert.Equal("cluster.local", outcome.Config!.EffectiveTrustDomain);
        Assert.Equal("istio-system", outcome.Config.EffectiveRootNamespace);
        Assert.True(outcome.Config.AutoMtls);
        Assert.Equal(TimeSpan.FromSeconds(10), outcome.Config.EffectiveConnectTimeout);
        Assert.Equal(OutboundTrafficMode.AllowAny, outcome.Config.EffectiveOutboundTrafficMode);
    }

    [Fact]
    public void Read_IstioStyleMeshConfig_BindsTheFieldsMeshworkUses()
    {
        var outcome = MeshConfigReader.ReadText("""
            accessLogFile: /dev/stdout
            accessLogEncoding: JSON
            enableAutoMtls: false
            trustDomain: example.org
            outboundTrafficPolicy:
              mode: REGISTRY_ONLY
            defaultConfig:
              discoveryAddress: meshd:15012
              holdApplicationUntilProxyStarts: true
            defaultHttpRetryPolicy:
              attempts: 3
              retryOn: 5xx
            extensionProviders:
            - name: otel
              opentelemetry: {service: collector.observability.svc.cluster.local, port: 4317}
            - name: log
              envoyFileAccessLog: {path: /dev/stdout}
            defaultProviders:
              tracing: [otel]
            """, "mesh.yaml");

        Assert.Empty(outcome.Diagnostics);
        var mesh = outcome.Config!;
        Assert.Equal(AccessLogEncoding.Json, mesh.AccessLogEncoding);
        Assert.False(mesh.AutoMtls);
        Assert.Equal(OutboundTrafficMode.RegistryOnly, mesh.EffectiveOutboundTrafficMode);
        Assert.Equal("meshd:15012", mesh.DefaultConfig!.DiscoveryAddress);
        Assert.Equal(3, mesh.DefaultHttpRetryPolicy!.Attempts);
        Assert.Equal(4317u, mesh.ExtensionProviders[0].Opentelemetry!.Port);
    }

    [Fact]
    public void Read_IstioExtAuthzTaskProviders_BindEveryField()
    {
        // As Istio's External Authorization task writes them: ports quoted, as protobuf's JSON allows.
        var outcome = MeshConfigReader.ReadText(
            """
            extensionProviders:
            - name: sample-ext-authz-http
              envoyExtAuthzHttp:
                service: ext-authz.foo.svc.cluster.local
                port: "8000"
                timeout: 2s
                pathPrefix: /check
                failOpen: true
                statusOnError: "503"
                includeRequestHeadersInCheck: [x-ext-authz]
                includeHeadersInCheck: [x-old]
                includeAdditionalHeadersInCheck: {x-added: "1"}
                includeRequestBodyInCheck: {maxRequestBytes: 100, allowPartialMessage: true, packAsBytes: true}
                headersToUpstreamOnAllow: [x-up]
                headersToDownstreamOnDeny: [x-deny]
                headersToDownstreamOnAllow: [x-allow]
            - name: sample-ext-authz-grpc
              envoyExtAuthzGrpc: {service: ext-authz.foo.svc.cluster.local, port: "9000", statusOnError: "401"}
            """,
            "mesh.yaml");

        Assert.Empty(outcome.Diagnostics);
        var http = outcome.Config!.ExtensionProviders[0].EnvoyExtAuthzHttp!;
        Assert.Equal((8000u, "/check", true, "503"), (http.Port, http.PathPrefix, http.FailOpen, http.StatusOnError));
        Assert.Equal(TimeSpan.FromSeconds(2), http.Timeout);
        Assert.Equal(["x-ext-authz"], http.IncludeRequestHeadersInCheck);
        Assert.Equal(["x-old"], http.IncludeHeadersInCheck);
        Assert.Equal("1", http.IncludeAdditionalHeadersInCheck["x-added"]);
        Assert.Equal((100u, true, true), (http.IncludeRequestBodyInCheck!.MaxRequestBytes, http.IncludeRequestBodyInCheck.AllowPartialMessage, http.IncludeRequestBodyInCheck.PackAsBytes));
        Assert.Equal(["x-up"], http.HeadersToUpstreamOnAllow);
        Assert.Equal(["x-deny"], http.HeadersToDownstreamOnDeny);
        Assert.Equal(["x-allow"], http.HeadersToDownstreamOnAllow);
        Assert.Equal((9000u, "401"), (outcome.Config.ExtensionProviders[1].EnvoyExtAuthzGrpc!.Port, outcome.Config.ExtensionProviders[1].EnvoyExtAuthzGrpc!.StatusOnError));
    }

    [Fact]
    public void Read_FieldsMeshworkDoesNotUse_AreWarningsNotErrors()
    {
        var outcome = MeshConfigReader.ReadText("enablePrometheusMerge: true\ningressClass: istio\n", "mesh.yaml");

        Assert.True(outcome.IsValid);
        Assert.Equal(
            ["mesh.yaml:1: warning: MeshConfig: \"enablePrometheusMerge\" is not used by Meshwork; ignored", "mesh.yaml:2: warning: MeshConfig: \"ingressClass\" is not used by Meshwork; ignored"],
            outcome.Diagnostics.Select(d => d.ToString()));
    }

    [Theory]
    [InlineData("connectTimeout: 0.5ms\n", "mesh.yaml:1: MeshConfig: connectTimeout: duration must be greater than 1ms")]
    [InlineData("connectTimeout: 2h\n", "mesh.yaml:1: MeshConfig: connectTimeout: time 2h0m0s must be >1ms and <1h0m0s")]
    [InlineData("trustDomain: bad_domain\n", "mesh.yaml:1: MeshConfig: trustDomain: trust domain name \"bad_domain\" invalid")]
    [InlineData("enableAutoMtls: maybe\n", "mesh.yaml:1: MeshConfig: enableAutoMtls: expected a boolean, got a string maybe")]
    [InlineData("extensionProviders:\n- name: a\n  zipkin: {service: z, port: 9411}\n- name: a\n  prometheus: {}\n", "mesh.yaml:4: MeshConfig: extensionProviders[1].name: duplicate extension provider name \"a\"")]
    [InlineData("extensionProviders:\n- name: z\n  zipkin: {port: 9411}\n", "mesh.yaml:2: MeshConfig: extensionProviders[0]: service is required")]
    [InlineData("a: 1\n---\nb: 2\n", "mesh.yaml:3: a mesh config file holds one document")]
    [InlineData("extensionProviders:\n- name: x\n  envoyExtAuthzHttp:\n    service: s\n    port: 80\n    statusOnError: \"abc\"\n", "mesh.yaml:6: MeshConfig: extensionProviders[0].envoyExtAuthzHttp.statusOnError: unsupported statusOnError \"abc\": expected an HTTP status code such as \"403\"")]
    public void Read_BadMeshConfig_IsLocatedAndRejected(string yaml, string expected)
    {
        var outcome = MeshConfigReader.ReadText(yaml, "mesh.yaml");

        Assert.False(outcome.IsValid);
        Assert.Equal([expected], outcome.Diagnostics.Where(d => d.IsError).Select(d => d.ToString()));
    }
}
