using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Http.ExtAuthz.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Meshwork.Config.Mesh;
using Meshwork.Pilot.Generators.Authorization;
using Meshwork.Pilot.Generators.Listeners;
using Meshwork.Pilot.Model;
using HttpRbac = Envoy.Extensions.Filters.Http.Rbac.V3.RBAC;
using NetworkRbac = Envoy.Extensions.Filters.Network.Rbac.V3.RBAC;
using Rbac = Envoy.Config.Rbac.V3.RBAC;

namespace Meshwork.Pilot.Tests.Generators.Authorization;

/// <summary>CUSTOM AuthorizationPolicies with a MeshConfig ext_authz provider: Istio's shadow RBAC + ext_authz shape, and the fail-closed fallbacks.</summary>
public class ExtAuthzListenerTests
{
    private static readonly ProxyNode Web = RouteTestMesh.Proxy("web", "127.0.0.10", "app=web", ports: "http=9080,tcp=9000");

    private const string Providers = """
        extensionProviders:
        - name: sample-ext-authz-http
          envoyExtAuthzHttp:
            service: ext-authz.foo.svc.cluster.local
            port: "8000"
            pathPrefix: /check
            statusOnError: "503"
            includeRequestHeadersInCheck: [x-ext-authz, "x-b3-*", "*-id"]
            includeAdditionalHeadersInCheck: {x-z: "2", x-a: "1"}
            headersToUpstreamOnAllow: [x-ext-authz-check-result]
            headersToDownstreamOnDeny: [content-type, x-ext-authz-check-result]
            headersToDownstreamOnAllow: [x-allowed]
            includeRequestBodyInCheck: {maxRequestBytes: 1024, allowPartialMessage: true}
        - name: legacy-headers
          envoyExtAuthzHttp:
            service: foo/ext-authz.foo.svc.cluster.local
            port: 8000
            failOpen: true
            includeHeadersInCheck: [x-legacy]
        - name: grpc
          envoyExtAuthzGrpc:
            service: ext-authz.foo.svc.cluster.local
            port: 9000
            timeout: 2s
        - name: nowhere
          envoyExtAuthzHttp:
            service: missing.foo.svc.cluster.local
            port: 8000
        """;

    private static string Custom(string name, string provider, string rule = "{to: [{operation: {paths: [/headers]}}]}") => $$"""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: {{name}}, namespace: default}
        spec:
          action: CUSTOM
          provider: {name: {{provider}}}
          rules: [{{rule}}]
        ---

        """;

    private const string Deny = """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: deny, namespace: default}
        spec:
          action: DENY
          rules:
          - to: [{operation: {methods: [DELETE]}}]
        ---

        """;

    private static MeshSnapshot Snapshot(string policies)
    {
        var mesh = MeshConfigReader.ReadText(Providers, "mesh.yaml");
        Assert.True(mesh.IsValid, string.Join("\n", mesh.Diagnostics));
        return RouteTestMesh.Snapshot(
            RouteTestMesh.Service("web", ports: "{number: 9080, name: http, protocol: HTTP}, {number: 9000, name: tcp, protocol: TCP}")
            + RouteTestMesh.Service("ext-authz", "foo", "{number: 8000, name: http, protocol: HTTP}, {number: 9000, name: grpc, protocol: GRPC}")
            + policies,
            [Web],
            mesh.Config);
    }

    private static Listener Inbound(MeshSnapshot snapshot, int port) =>
        new ListenerGenerator().Generate(snapshot, Web, null).Select(r => r.Resource.Unpack<Listener>()).Single(l => l.Name == $"127.0.0.10_{port}");

    private static HttpConnectionManager Manager(MeshSnapshot snapshot)
    {
        var manager = Inbound(snapshot, 9080).FilterChains[0].Filters[0].TypedConfig.Unpack<HttpConnectionManager>();
        // Istio's telemetry filters (first, and just before the router) are not what these tests look at.
        foreach (var telemetry in manager.HttpFilters.Where(f => f.Name is Meshwork.Pilot.Generators.Listeners.TelemetryFilters.ExchangeFilter or Meshwork.Pilot.Generators.Listeners.TelemetryFilters.StatsFilter).ToList())
        {
            manager.HttpFilters.Remove(telemetry);
        }

        return manager;
    }

    [Fact]
    public void Generate_CustomWithHttpProvider_ShadowRbacThenExtAuthzBeforeDeny()
    {
        var manager = Manager(Snapshot(Custom("ext", "sample-ext-authz-http") + Deny));

        Assert.Equal(
            ["envoy.filters.http.rbac", "envoy.filters.http.ext_authz", "envoy.filters.http.rbac", "envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router"],
            manager.HttpFilters.Select(f => f.Name));
        var shadow = manager.HttpFilters[0].TypedConfig.Unpack<HttpRbac>();
        Assert.Null(shadow.Rules);
        Assert.Equal("istio_ext_authz_", shadow.ShadowRulesStatPrefix);
        Assert.Equal(Rbac.Types.Action.Deny, shadow.ShadowRules.Action);
        Assert.Equal(["istio-ext-authz-ns[default]-policy[ext]-rule[0]"], shadow.ShadowRules.Policies.Keys);
        Assert.Equal(Rbac.Types.Action.Deny, manager.HttpFilters[2].TypedConfig.Unpack<HttpRbac>().Rules.Action);
    }

    [Fact]
    public void Generate_HttpProvider_EveryFieldAsIstioWritesIt()
    {
        var manager = Manager(Snapshot(Custom("ext", "sample-ext-authz-http")));
        var config = manager.HttpFilters.Single(f => f.Name == ExtAuthzProviders.FilterName).TypedConfig.Unpack<ExtAuthz>();

        var service = config.HttpService;
        Assert.Equal("outbound|8000||ext-authz.foo.svc.cluster.local", service.ServerUri.Cluster);
        Assert.Equal("http://ext-authz.foo.svc.cluster.local", service.ServerUri.Uri);
        Assert.Equal(TimeSpan.FromSeconds(600), service.ServerUri.Timeout.ToTimeSpan());
        Assert.Equal("/check", service.PathPrefix);
        Assert.Equal(
            ["Exact:x-ext-authz", "Prefix:x-b3-", "Suffix:-id"],
            service.AuthorizationRequest.AllowedHeaders.Patterns.Select(p => $"{p.MatchPatternCase}:{p.Exact}{p.Prefix}{p.Suffix}"));
        Assert.All(service.AuthorizationRequest.AllowedHeaders.Patterns, p => Assert.True(p.IgnoreCase));
        Assert.Equal(["x-a=1", "x-z=2"], service.AuthorizationRequest.HeadersToAdd.Select(h => $"{h.Key}={h.Value}"));
        Assert.Equal("x-ext-authz-check-result", Assert.Single(service.AuthorizationResponse.AllowedUpstreamHeaders.Patterns).Exact);
        Assert.Equal(["content-type", "x-ext-authz-check-result"], service.AuthorizationResponse.AllowedClientHeaders.Patterns.Select(p => p.Exact));
        Assert.Equal("x-allowed", Assert.Single(service.AuthorizationResponse.AllowedClientHeadersOnSuccess.Patterns).Exact);
        Assert.Equal(Envoy.Type.V3.StatusCode.ServiceUnavailable, config.StatusOnError.Code);
        Assert.False(config.FailureModeAllow);
        Assert.Equal(Envoy.Config.Core.V3.ApiVersion.V3, config.TransportApiVersion);
        Assert.Equal(1024u, config.WithRequestBody.MaxRequestBytes);
        Assert.True(config.WithRequestBody.AllowPartialMessage);
        Assert.Equal("envoy.filters.http.rbac", config.FilterEnabledMetadata.Filter);
        Assert.Equal("istio_ext_authz_shadow_effective_policy_id", Assert.Single(config.FilterEnabledMetadata.Path).Key);
        Assert.Equal("istio-ext-authz", config.FilterEnabledMetadata.Value.StringMatch.Prefix);
    }

    [Fact]
    public void Generate_NamespacedServiceAndDeprecatedHeaders_FailOpen()
    {
        var config = Manager(Snapshot(Custom("ext", "legacy-headers"))).HttpFilters.Single(f => f.Name == ExtAuthzProviders.FilterName).TypedConfig.Unpack<ExtAuthz>();

        Assert.Equal("outbound|8000||ext-authz.foo.svc.cluster.local", config.HttpService.ServerUri.Cluster);
        Assert.Equal("x-legacy", Assert.Single(config.HttpService.AuthorizationRequest.AllowedHeaders.Patterns).Exact);
        Assert.True(config.FailureModeAllow);
        Assert.Null(config.StatusOnError);
        Assert.Null(config.HttpService.AuthorizationResponse);
    }

    [Fact]
    public void Generate_GrpcProvider_EnvoyGrpcWithValidAuthority()
    {
        var config = Manager(Snapshot(Custom("ext", "grpc"))).HttpFilters.Single(f => f.Name == ExtAuthzProviders.FilterName).TypedConfig.Unpack<ExtAuthz>();

        Assert.Equal("outbound|9000||ext-authz.foo.svc.cluster.local", config.GrpcService.EnvoyGrpc.ClusterName);
        Assert.Equal("outbound_.9000_._.ext-authz.foo.svc.cluster.local", config.GrpcService.EnvoyGrpc.Authority);
        Assert.Equal(TimeSpan.FromSeconds(2), config.GrpcService.Timeout.ToTimeSpan());
    }

    [Theory]
    [InlineData("unknown")]
    [InlineData("nowhere")]
    public void Generate_UnusableProvider_DeniesWhatTheRulesMatch(string provider)
    {
        var snapshot = Snapshot(Custom("ext", provider));

        var manager = Manager(snapshot);

        Assert.DoesNotContain(manager.HttpFilters, f => f.Name == ExtAuthzProviders.FilterName);
        var deny = manager.HttpFilters[0].TypedConfig.Unpack<HttpRbac>().Rules;
        Assert.Equal(Rbac.Types.Action.Deny, deny.Action);
        Assert.Equal(["istio-ext-authz-ns[default]-policy[ext]-rule[0]-deny-due-to-bad-CUSTOM-action"], deny.Policies.Keys);
        var problem = Assert.Single(ExtAuthzProviders.Problems(snapshot));
        Assert.StartsWith("AuthorizationPolicy default/ext: CUSTOM provider: ", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_TwoProvidersOnOneWorkload_DeniesBoth()
    {
        var manager = Manager(Snapshot(Custom("a", "sample-ext-authz-http") + Custom("b", "grpc")));

        Assert.DoesNotContain(manager.HttpFilters, f => f.Name == ExtAuthzProviders.FilterName);
        Assert.Equal(2, manager.HttpFilters[0].TypedConfig.Unpack<HttpRbac>().Rules.Policies.Count);
    }

    [Fact]
    public void Generate_TcpPortWithGrpcProvider_ShadowRbacThenNetworkExtAuthzBeforeDeny()
    {
        var filters = Inbound(Snapshot(Custom("ext", "grpc", rule: "{}") + Deny), 9000).FilterChains[0].Filters
            .Where(f => f.Name is not ("istio.metadata_exchange" or "istio.stats" or "envoy.filters.network.tcp_proxy"))
            .ToList();

        Assert.Equal(["envoy.filters.network.rbac", "envoy.filters.network.ext_authz", "envoy.filters.network.rbac"], filters.Select(f => f.Name));
        var shadow = filters[0].TypedConfig.Unpack<NetworkRbac>();
        Assert.Null(shadow.Rules);
        Assert.Equal("tcp.", shadow.StatPrefix);
        Assert.Equal("istio_ext_authz_", shadow.ShadowRulesStatPrefix);
        Assert.Equal(["istio-ext-authz-ns[default]-policy[ext]-rule[0]"], shadow.ShadowRules.Policies.Keys);
        var config = filters[1].TypedConfig.Unpack<Envoy.Extensions.Filters.Network.ExtAuthz.V3.ExtAuthz>();
        Assert.Equal("tcp.", config.StatPrefix);
        Assert.Equal("outbound|9000||ext-authz.foo.svc.cluster.local", config.GrpcService.EnvoyGrpc.ClusterName);
        Assert.Equal("outbound_.9000_._.ext-authz.foo.svc.cluster.local", config.GrpcService.EnvoyGrpc.Authority);
        Assert.Equal(TimeSpan.FromSeconds(2), config.GrpcService.Timeout.ToTimeSpan());
        Assert.Equal(Envoy.Config.Core.V3.ApiVersion.V3, config.TransportApiVersion);
        Assert.Equal("envoy.filters.network.rbac", config.FilterEnabledMetadata.Filter);
        Assert.Equal("istio_ext_authz_shadow_effective_policy_id", Assert.Single(config.FilterEnabledMetadata.Path).Key);
        Assert.Equal(Rbac.Types.Action.Deny, filters[2].TypedConfig.Unpack<NetworkRbac>().Rules.Action);
    }

    [Fact]
    public void Generate_TcpPortWithHttpProvider_CustomStaysAFailClosedDeny()
    {
        var chain = Inbound(Snapshot(Custom("ext", "sample-ext-authz-http", rule: "{}")), 9000).FilterChains[0];

        var rbac = chain.Filters.First(f => f.Name == "envoy.filters.network.rbac").TypedConfig.Unpack<NetworkRbac>();
        Assert.Equal(Rbac.Types.Action.Deny, rbac.Rules.Action);
    }

    [Fact]
    public void MeshConfig_BadExtAuthzFields_LocatedErrors()
    {
        var outcome = MeshConfigReader.ReadText(
            """
            extensionProviders:
            - name: bad
              envoyExtAuthzHttp:
                service: a.b
                port: 80
                statusOnError: "999"
                pathPrefix: check
                headersToUpstreamOnAllow: ["*"]
            """,
            "mesh.yaml");

        Assert.False(outcome.IsValid);
        Assert.Equal(
            ["extensionProviders[0].envoyExtAuthzHttp.statusOnError", "extensionProviders[0].envoyExtAuthzHttp.pathPrefix", "extensionProviders[0].envoyExtAuthzHttp.headersToUpstreamOnAllow"],
            outcome.Diagnostics.Select(d => d.Path));
    }
}
