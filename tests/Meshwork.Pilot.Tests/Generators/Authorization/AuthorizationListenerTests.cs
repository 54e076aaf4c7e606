using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Meshwork.Config.Mesh;
using Meshwork.Pilot.Generators.Listeners;
using Meshwork.Pilot.Model;
using Meshwork.Pilot.Push;
using HttpRbac = Envoy.Extensions.Filters.Http.Rbac.V3.RBAC;
using Rbac = Envoy.Config.Rbac.V3.RBAC;

namespace Meshwork.Pilot.Tests.Generators.Authorization;

/// <summary>Policy selection, filter order and path normalization settings of inbound listeners (the golden cases lds-authz-* hold the full output).</summary>
public class AuthorizationListenerTests
{
    private static readonly ProxyNode Web = RouteTestMesh.Proxy("web", "127.0.0.10", "app=web,version=v1", ports: "http=9080");

    private static string Policy(string name, string ns, string action, string selector = "", string rules = "rules: [{}]") => $"""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {"{"}name: {name}, namespace: {ns}{"}"}
        spec:
          action: {action}
          {selector}
          {rules}
        ---

        """;

    private static HttpConnectionManager InboundManager(MeshSnapshot snapshot)
    {
        var listener = new ListenerGenerator().Generate(snapshot, Web, null).Select(r => r.Resource.Unpack<Listener>()).Single(l => l.Name == "127.0.0.10_9080");
        return listener.FilterChains[0].Filters[0].TypedConfig.Unpack<HttpConnectionManager>();
    }

    private static List<(Rbac.Types.Action Action, IReadOnlyList<string> Policies)> RbacFilters(MeshSnapshot snapshot) =>
        InboundManager(snapshot).HttpFilters
            .Where(f => f.Name == "envoy.filters.http.rbac")
            .Select(f => f.TypedConfig.Unpack<HttpRbac>().Rules)
            .Select(r => (r.Action, (IReadOnlyList<string>)r.Policies.Keys.Order(StringComparer.Ordinal).ToList()))
            .ToList();

    [Fact]
    public void Generate_NoPolicy_NoRbacFilter()
    {
        var snapshot = RouteTestMesh.Snapshot(RouteTestMesh.Service("web"), [Web]);

        Assert.Empty(RbacFilters(snapshot));
        Assert.Equal(["istio.metadata_exchange", "envoy.filters.http.fault", "envoy.filters.http.cors", "istio.stats", "envoy.filters.http.router"], InboundManager(snapshot).HttpFilters.Select(f => f.Name));
    }

    [Fact]
    public void Generate_Policies_AuditThenDenyThenAllow_BeforeTheOtherFilters()
    {
        var snapshot = RouteTestMesh.Snapshot(
            RouteTestMesh.Service("web")
            + Policy("allow", "default", "ALLOW")
            + Policy("deny", "default", "DENY")
            + Policy("audit", "default", "AUDIT"),
            [Web]);

        var filters = RbacFilters(snapshot);

        Assert.Equal([Rbac.Types.Action.Log, Rbac.Types.Action.Deny, Rbac.Types.Action.Allow], filters.Select(f => f.Action));
        Assert.Equal(["ns[default]-policy[audit]-rule[0]", "ns[default]-policy[deny]-rule[0]", "ns[default]-policy[allow]-rule[0]"], filters.Select(f => Assert.Single(f.Policies)));
        Assert.Equal("envoy.filters.http.router", InboundManager(snapshot).HttpFilters[^1].Name);
    }

    [Fact]
    public void Generate_WithRequestAuthentication_RbacAfterJwtAuthn()
    {
        const string Jwt = """
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata: {name: jwt, namespace: default}
            spec:
              jwtRules:
              - issuer: "issuer"
                jwks: '{"keys":[]}'
            ---

            """;
        var snapshot = RouteTestMesh.Snapshot(RouteTestMesh.Service("web") + Jwt + Policy("deny", "default", "DENY"), [Web]);

        Assert.Equal(
            ["istio.metadata_exchange", "envoy.filters.http.jwt_authn", "envoy.filters.http.rbac", "envoy.filters.http.fault", "envoy.filters.http.cors", "istio.stats", "envoy.filters.http.router"],
            InboundManager(snapshot).HttpFilters.Select(f => f.Name));
    }

    [Fact]
    public void Generate_Selection_RootNamespaceMeshWide_SelectorAndNamespaceScoped()
    {
        var snapshot = RouteTestMesh.Snapshot(
            RouteTestMesh.Service("web")
            + Policy("mesh-wide", "istio-system", "DENY")
            + Policy("root-selected", "istio-system", "DENY", "selector: {matchLabels: {app: web}}")
            + Policy("other-app", "default", "DENY", "selector: {matchLabels: {app: other}}")
            + Policy("other-label", "default", "DENY", "selector: {matchLabels: {app: web, version: v2}}")
            + Policy("other-namespace", "prod", "DENY")
            + Policy("bound", "default", "DENY", "targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: gw}]"),
            [Web]);

        var deny = Assert.Single(RbacFilters(snapshot));
        Assert.Equal(["ns[istio-system]-policy[mesh-wide]-rule[0]", "ns[istio-system]-policy[root-selected]-rule[0]"], deny.Policies);
    }

    [Fact]
    public void Generate_AllowWithoutRules_DeniesAll()
    {
        var snapshot = RouteTestMesh.Snapshot(RouteTestMesh.Service("web") + Policy("allow-nothing", "default", "ALLOW", rules: string.Empty), [Web]);

        var allow = Assert.Single(RbacFilters(snapshot));
        Assert.Equal(Rbac.Types.Action.Allow, allow.Action);
        Assert.Empty(allow.Policies);
    }

    [Theory]
    [InlineData(null, true, true, HttpConnectionManager.Types.PathWithEscapedSlashesAction.KeepUnchanged)]
    [InlineData(PathNormalizationType.Default, true, true, HttpConnectionManager.Types.PathWithEscapedSlashesAction.KeepUnchanged)]
    [InlineData(PathNormalizationType.None, false, false, HttpConnectionManager.Types.PathWithEscapedSlashesAction.KeepUnchanged)]
    [InlineData(PathNormalizationType.Base, true, false, HttpConnectionManager.Types.PathWithEscapedSlashesAction.KeepUnchanged)]
    [InlineData(PathNormalizationType.MergeSlashes, true, true, HttpConnectionManager.Types.PathWithEscapedSlashesAction.KeepUnchanged)]
    [InlineData(PathNormalizationType.DecodeAndMergeSlashes, true, true, HttpConnectionManager.Types.PathWithEscapedSlashesAction.UnescapeAndForward)]
    public void Generate_PathNormalization_FromMeshConfig(PathNormalizationType? type, bool normalize, bool merge, HttpConnectionManager.Types.PathWithEscapedSlashesAction escaped)
    {
        var mesh = type == null ? MeshConfig.Default : MeshConfig.Default with { PathNormalization = new ProxyPathNormalization { Normalization = type.Value } };
        var snapshot = RouteTestMesh.Snapshot(RouteTestMesh.Service("web"), [Web], mesh);

        var manager = InboundManager(snapshot);

        Assert.Equal(normalize, manager.NormalizePath);
        Assert.Equal(merge, manager.MergeSlashes);
        Assert.Equal(escaped, manager.PathWithEscapedSlashesAction);
    }

    [Fact]
    public void Concerns_AuthorizationPolicyChange_RebuildsSidecarListeners()
    {
        var snapshot = RouteTestMesh.Snapshot(RouteTestMesh.Service("web"), [Web]);
        var push = PushRequest.ForConfig(["AuthorizationPolicy/default/deny"], DateTimeOffset.UnixEpoch);

        Assert.True(new ListenerGenerator().Concerns(push, Web, snapshot));
    }
}
