using Meshwork.Registry.AutoRegistration;
using Meshwork.Registry.Model;
using Meshwork.Registry.Tests.Support;

namespace Meshwork.Registry.Tests.ServiceEntries;

public class WorkloadSelectorTests
{
    private const string Reviews = """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: reviews, namespace: bookinfo}
        spec:
          hosts: [reviews.bookinfo.svc.cluster.local]
          ports: [{number: 9080, name: http, protocol: HTTP}]
          location: MESH_INTERNAL
          resolution: STATIC
          workloadSelector: {labels: {app: reviews}}
        """;

    private static string WorkloadEntry(string name, string spec, string @namespace = "bookinfo", string metadata = "") => "\n" + $"""
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {"{"}name: {name}, namespace: {@namespace}{metadata}{"}"}
        spec: {spec}
        """;

    private static string[] Addresses(RegistrySnapshot registry) =>
        [.. registry.EndpointsFor("reviews.bookinfo.svc.cluster.local", 9080).Select(e => e.Address)];

    [Fact]
    public void Convert_Selector_SelectsWorkloadEntriesWhoseLabelsAreASuperset()
    {
        var registry = TestConfig.Registry(Reviews
            + WorkloadEntry("v1", "{address: 10.0.0.1, labels: {app: reviews, version: v1}}")
            + WorkloadEntry("v2", "{address: 10.0.0.2, labels: {app: reviews, version: v2}}")
            + WorkloadEntry("ratings", "{address: 10.0.0.3, labels: {app: ratings}}")
            + WorkloadEntry("unlabelled", "{address: 10.0.0.4}"));

        Assert.Equal(["10.0.0.1", "10.0.0.2"], Addresses(registry));
        var v1 = registry.EndpointsFor("reviews.bookinfo.svc.cluster.local", 9080)[0];
        Assert.Equal("v1", v1.Labels["version"]);
        Assert.Equal(("v1", "bookinfo"), (v1.WorkloadName, v1.WorkloadNamespace));
    }

    [Fact]
    public void Convert_SelectorOfTwoLabels_NeedsBoth_WhicheverLabelComesFirst()
    {
        var registry = TestConfig.Registry(Reviews.Replace("{labels: {app: reviews}}", "{labels: {version: v2, app: reviews}}", StringComparison.Ordinal)
            + WorkloadEntry("v1", "{address: 10.0.0.1, labels: {app: reviews, version: v1}}")
            + WorkloadEntry("v2", "{address: 10.0.0.2, labels: {app: reviews, version: v2}}")
            + WorkloadEntry("other-v2", "{address: 10.0.0.3, labels: {app: ratings, version: v2}}")
            + WorkloadEntry("v2-b", "{address: 10.0.0.4, labels: {version: v2, app: reviews, zone: a}}"));

        Assert.Equal(["10.0.0.2", "10.0.0.4"], Addresses(registry));
    }

    [Fact]
    public void Convert_Selector_OnlyWorkloadsOfTheEntrysNamespace()
    {
        var registry = TestConfig.Registry(Reviews
            + WorkloadEntry("here", "{address: 10.0.0.1, labels: {app: reviews}}")
            + WorkloadEntry("elsewhere", "{address: 10.0.0.2, labels: {app: reviews}}", "other"));

        Assert.Equal(["10.0.0.1"], Addresses(registry));
    }

    [Fact]
    public void Convert_WorkloadEntryMetadataLabels_MergedOverSpecLabels()
    {
        var registry = TestConfig.Registry(Reviews
            + WorkloadEntry("v1", "{address: 10.0.0.1, labels: {version: v0}}", metadata: ", labels: {app: reviews, version: v1}"));

        var endpoint = registry.EndpointsFor("reviews.bookinfo.svc.cluster.local", 9080).Single();
        Assert.Equal("v1", endpoint.Labels["version"]);
    }

    [Fact]
    public void Convert_WorkloadEntryPorts_OverrideByServicePortName()
    {
        var registry = TestConfig.Registry(Reviews
            + WorkloadEntry("v1", "{address: 10.0.0.1, labels: {app: reviews}, ports: {http: 19080, unused: 1}}")
            + WorkloadEntry("v2", "{address: 10.0.0.2, labels: {app: reviews}}"));

        Assert.Equal([19080u, 9080u], registry.EndpointsFor("reviews.bookinfo.svc.cluster.local", 9080).Select(e => e.Port));
    }

    [Fact]
    public void Convert_WorkloadEntryAttributes_CarriedToTheEndpoint()
    {
        var registry = TestConfig.Registry(Reviews
            + WorkloadEntry("v1", "{address: 10.0.0.1, labels: {app: reviews}, serviceAccount: bookinfo-reviews, network: vm-net, locality: r/z, weight: 3}"));

        var endpoint = registry.EndpointsFor("reviews.bookinfo.svc.cluster.local", 9080).Single();
        Assert.Equal(("bookinfo-reviews", "vm-net", "r/z", 3u), (endpoint.ServiceAccount, endpoint.Network, endpoint.Locality, endpoint.Weight));
        Assert.Equal(EndpointTlsMode.Istio, endpoint.TlsMode);
        Assert.Equal("spiffe://cluster.local/ns/bookinfo/sa/bookinfo-reviews", endpoint.Identity("cluster.local"));
    }

    [Fact]
    public void Convert_HostnameWorkloadEntry_SelectedOnlyByDnsEntries()
    {
        var dns = Reviews.Replace("name: reviews,", "name: reviews-dns,").Replace("reviews.bookinfo.svc", "reviews-dns.bookinfo.svc").Replace("STATIC", "DNS");
        var registry = TestConfig.Registry(Reviews + "\n---\n" + dns
            + WorkloadEntry("vm", "{address: vm.example.com, labels: {app: reviews}}")
            + WorkloadEntry("sock", "{address: 'unix:///run/app.sock', labels: {app: reviews}}")
            + WorkloadEntry("ip", "{address: 10.0.0.1, labels: {app: reviews}}"));

        Assert.Equal(["10.0.0.1"], Addresses(registry));
        Assert.Equal(
            ["10.0.0.1", "unix:///run/app.sock", "vm.example.com"],
            registry.EndpointsFor("reviews-dns.bookinfo.svc.cluster.local", 9080).Select(e => e.Address));
    }

    [Fact]
    public void Convert_WorkloadEntryWithHealthChecksEnabled_NotAnEndpointUntilProvenHealthy()
    {
        var registry = TestConfig.Registry(Reviews
            + WorkloadEntry("probed", "{address: 10.0.0.1, labels: {app: reviews}}", metadata: ", annotations: {proxy.istio.io/health-checks-enabled: 'true'}")
            + WorkloadEntry("plain", "{address: 10.0.0.2, labels: {app: reviews}}"));

        Assert.Equal(["10.0.0.2"], Addresses(registry));
        Assert.Equal(WorkloadHealth.Unhealthy, registry.Workloads.Single(w => w.Name == "probed").Health);
    }

    [Fact]
    public void Convert_AutoRegisteredWorkloads_SelectedLikeWorkloadEntries()
    {
        var registry = TestConfig.Registry(
            Reviews,
            TestConfig.Proxy("reviews-v1", "127.0.0.11", "app=reviews,version=v1", "bookinfo", ports: "http=19080", serviceAccount: "reviews").ToWorkload(WorkloadHealth.Healthy),
            TestConfig.Proxy("reviews-x", "127.0.0.12", "app=reviews", "other").ToWorkload(WorkloadHealth.Healthy),
            TestConfig.Proxy("ratings", "127.0.0.13", "app=ratings", "bookinfo").ToWorkload(WorkloadHealth.Healthy));

        var endpoint = Assert.Single(registry.EndpointsFor("reviews.bookinfo.svc.cluster.local", 9080));
        Assert.Equal(("127.0.0.11", 19080u), (endpoint.Address, endpoint.Port));
        Assert.Equal(EndpointTlsMode.Istio, endpoint.TlsMode);
        Assert.Equal("reviews", endpoint.ServiceAccount);
        Assert.Equal(3, registry.Workloads.Length);
    }

    [Fact]
    public void Convert_UnhealthyAutoRegisteredWorkload_NotAnEndpoint()
    {
        var registry = TestConfig.Registry(
            Reviews,
            TestConfig.Proxy("reviews-v1", "127.0.0.11", "app=reviews", "bookinfo").ToWorkload(WorkloadHealth.Unhealthy));

        Assert.Empty(registry.Endpoints);
    }

    [Fact]
    public void Convert_EndpointsAt_GivesTheServicePortsAWorkloadServesInItsNamespace()
    {
        var registry = TestConfig.Registry(Reviews
            + WorkloadEntry("v1", "{address: 10.0.0.1, labels: {app: reviews}}"));

        Assert.Equal([9080u], registry.EndpointsAt("10.0.0.1", "bookinfo").Select(e => e.ServicePort));
        Assert.Empty(registry.EndpointsAt("10.0.0.1", "other"));
        Assert.Single(registry.EndpointsFor(new ServiceKey("bookinfo", "reviews.bookinfo.svc.cluster.local"), 9080));
        Assert.Empty(registry.EndpointsFor(new ServiceKey("other", "reviews.bookinfo.svc.cluster.local"), 9080));
    }
}
