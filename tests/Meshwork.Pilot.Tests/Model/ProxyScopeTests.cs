using Meshwork.Pilot.Model;
using Meshwork.Pilot.Tests.Generators;

namespace Meshwork.Pilot.Tests.Model;

public class ProxyScopeTests
{
    private const string Sidecar = """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: istio-system}
        spec:
          egress: [{hosts: ["./*"]}]
        ---

        """;

    [Fact]
    public void For_Router_IgnoresSidecarResources()
    {
        var gateway = TestMesh.Proxy("gw", "istio-system", "10.0.0.1", type: ProxyType.Router);
        var sidecar = TestMesh.Proxy("app", "istio-system", "10.0.0.2");
        var snapshot = TestMesh.Snapshot(Sidecar + TestMesh.Service("reviews", "default"), [gateway]);

        Assert.Single(ProxyScope.For(snapshot, gateway).Services);
        Assert.Empty(ProxyScope.For(snapshot, sidecar).Services);
    }

    [Fact]
    public void For_HostnameDefinedTwice_KeepsTheProxysNamespaceDefinition()
    {
        var yaml = TestMesh.Service("reviews", "default") + """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: reviews, namespace: team}
            spec:
              hosts: [reviews.default.svc.cluster.local]
              ports: [{number: 81, name: http, protocol: HTTP}]
              resolution: STATIC
            """;
        var inTeam = TestMesh.Proxy("a", "team", "10.0.0.3");
        var elsewhere = TestMesh.Proxy("b", "third", "10.0.0.4");
        var snapshot = TestMesh.Snapshot(yaml, [inTeam]);

        Assert.Equal("team", Assert.Single(ProxyScope.For(snapshot, inTeam).Services).Namespace);
        Assert.Equal("default", Assert.Single(ProxyScope.For(snapshot, elsewhere).Services).Namespace);
    }
}
