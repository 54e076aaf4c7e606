using Meshwork.Registry.AutoRegistration;
using Meshwork.Registry.Model;
using Meshwork.Registry.Publishing;
using Meshwork.Registry.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Meshwork.Registry.Tests.Publishing;

/// <summary>Bookinfo in local mode: one ServiceEntry per service selecting its workloads by label, and proxies that register themselves.</summary>
public class BookinfoTests
{
    private static string Service(string app) => $"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {"{"}name: {app}, namespace: default{"}"}
        spec:
          hosts: [{app}.default.svc.cluster.local]
          ports: [{"{"}number: 9080, name: http, protocol: HTTP{"}"}]
          location: MESH_INTERNAL
          resolution: STATIC
          workloadSelector: {"{"}labels: {"{"}app: {app}{"}"}{"}"}
        """;

    private static ProxyRegistration Proxy(string app, string version, int octet) =>
        TestConfig.Proxy($"{app}-{version}", $"127.0.0.{octet}", $"app={app},version={version}", "default", ports: "http=9080", serviceAccount: $"bookinfo-{app}");

    [Fact]
    public void Registry_BookinfoLocalSetup_EveryServiceHasItsWorkloadsAsEndpoints()
    {
        using var workloads = new WorkloadRegistry(new FakeTimeProvider());
        using var registry = new MeshRegistry(workloads);
        registry.UpdateConfig(TestConfig.Snapshot(string.Join("\n---\n", new[] { "productpage", "details", "reviews", "ratings" }.Select(Service))));

        workloads.Connect(Proxy("productpage", "v1", 10));
        workloads.Connect(Proxy("details", "v1", 11));
        workloads.Connect(Proxy("reviews", "v1", 12));
        workloads.Connect(Proxy("reviews", "v2", 13));
        workloads.Connect(Proxy("reviews", "v3", 14));
        workloads.Connect(Proxy("ratings", "v1", 15));

        var snapshot = registry.Current;
        Assert.Equal(4, snapshot.Services.Length);
        Assert.Equal(6, snapshot.Endpoints.Length);
        var reviews = snapshot.EndpointsFor("reviews.default.svc.cluster.local", 9080);
        Assert.Equal(
            [("127.0.0.12", "v1"), ("127.0.0.13", "v2"), ("127.0.0.14", "v3")],
            reviews.Select(e => (e.Address, e.Labels["version"])));
        Assert.All(reviews, e =>
        {
            Assert.Equal(9080u, e.Port);
            Assert.Equal(EndpointTlsMode.Istio, e.TlsMode);
            Assert.Equal("spiffe://cluster.local/ns/default/sa/bookinfo-reviews", e.Identity("cluster.local"));
        });
        Assert.Equal(["127.0.0.15"], snapshot.EndpointsFor("ratings.default.svc.cluster.local", 9080).Select(e => e.Address));
        Assert.Equal(["reviews.default.svc.cluster.local"], snapshot.EndpointsAt("127.0.0.13", "default").Select(e => e.Hostname));
    }
}
