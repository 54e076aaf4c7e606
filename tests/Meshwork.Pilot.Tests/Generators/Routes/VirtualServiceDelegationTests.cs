using Envoy.Config.Route.V3;
using Meshwork.Pilot.Generators.Routes;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Tests.Generators.Routes;

public class VirtualServiceDelegationTests
{
    private static readonly ProxyNode Client = RouteTestMesh.Proxy("client", "127.0.0.9", "app=client", ports: "");

    private static readonly string Config = RouteTestMesh.Service("reviews") + """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: root, namespace: default}
        spec:
          hosts: [reviews]
          http:
          - name: api
            match: [{uri: {prefix: /api}}]
            timeout: 5s
            delegate: {name: reviews-api, namespace: team}
          - route: [{destination: {host: reviews, subset: v3}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews-api, namespace: team}
        spec:
          http:
          - name: v2
            match: [{uri: {prefix: /api/v2}}]
            route: [{destination: {host: reviews.default.svc.cluster.local, subset: v2}}]
          - name: elsewhere
            match: [{uri: {prefix: /other}}]
            route: [{destination: {host: reviews.default.svc.cluster.local, subset: v9}}]
          - route: [{destination: {host: reviews.default.svc.cluster.local, subset: v1}}]
        """;

    [Theory]
    [InlineData("/api/v2/books", "outbound|9080|v2|reviews.default.svc.cluster.local")]
    [InlineData("/api/v1/books", "outbound|9080|v1|reviews.default.svc.cluster.local")]
    [InlineData("/other", "outbound|9080|v3|reviews.default.svc.cluster.local")]
    public void Send_DelegatedRules_NarrowedByTheRootMatch(string path, string expected)
    {
        var table = Outbound(RouteTestMesh.Snapshot(Config, [Client]));

        Assert.Equal(expected, RouteSimulator.Send(table, "reviews:9080", path).Target);
    }

    [Fact]
    public void Merge_DelegatedRule_InheritsTheRootTimeoutAndName()
    {
        var table = Outbound(RouteTestMesh.Snapshot(Config, [Client]));

        var route = RouteSimulator.Send(table, "reviews:9080", "/api/v2").Route!;
        Assert.Equal("api-v2", route.Name);
        Assert.Equal(TimeSpan.FromSeconds(5), route.Route_.Timeout.ToTimeSpan());
    }

    [Fact]
    public void Merge_DelegateNotExportedToTheRoot_RuleDropped()
    {
        var hidden = Config.Replace("metadata: {name: reviews-api, namespace: team}\nspec:\n", "metadata: {name: reviews-api, namespace: team}\nspec:\n  exportTo: [\".\"]\n", StringComparison.Ordinal);
        Assert.NotEqual(Config, hidden);

        var table = Outbound(RouteTestMesh.Snapshot(hidden, [Client]));

        Assert.Equal("outbound|9080|v3|reviews.default.svc.cluster.local", RouteSimulator.Send(table, "reviews:9080", "/api/v2").Target);
    }

    private static RouteConfiguration Outbound(MeshSnapshot snapshot) =>
        new RouteGenerator().Generate(snapshot, Client, new HashSet<string> { SidecarRouteTables.OutboundTable }).Single().Resource.Unpack<RouteConfiguration>();
}
