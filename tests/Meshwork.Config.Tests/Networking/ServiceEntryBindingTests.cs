using Meshwork.Config.Loading;
using Meshwork.Config.Networking;
using Meshwork.Config.Values;

namespace Meshwork.Config.Tests.Networking;

public class ServiceEntryBindingTests
{
    [Fact]
    public void Bind_EveryField_RoundTripsIntoRecords()
    {
        var yaml = """
            apiVersion: networking.istio.io/v1alpha3
            kind: ServiceEntry
            metadata:
              name: mongo
              namespace: data
            spec:
              hosts: [mymongodb.somedomain]
              addresses: [192.192.192.192/24]
              ports:
              - number: 27018
                name: mongodb
                protocol: MONGO
                targetPort: 27017
              location: MESH_INTERNAL
              resolution: STATIC
              endpoints:
              - address: 2.2.2.2
                ports: {mongodb: 27019}
                labels: {app: mongo}
                network: vpc-1
                locality: us-east1/zone-b
                weight: 3
                serviceAccount: mongo
              export_to: [".", other]
              subjectAltNames: [spiffe://cluster.local/ns/data/sa/mongo]
            """;
        var read = ConfigReader.ReadText(yaml, "se.yaml");

        Assert.Empty(read.Diagnostics);
        var expected = new ServiceEntry
        {
            Hosts = ValueList.Of("mymongodb.somedomain"),
            Addresses = ValueList.Of("192.192.192.192/24"),
            Ports = ValueList.Of(new ServicePort { Number = 27018, Name = "mongodb", Protocol = "MONGO", TargetPort = 27017 }),
            Location = ServiceEntryLocation.MeshInternal,
            Resolution = ServiceEntryResolution.Static,
            Endpoints = ValueList.Of(new WorkloadEntry
            {
                Address = "2.2.2.2",
                Ports = ValueMap.Of(("mongodb", 27019u)),
                Labels = ValueMap.Of(("app", "mongo")),
                Network = "vpc-1",
                Locality = "us-east1/zone-b",
                Weight = 3,
                ServiceAccount = "mongo",
            }),
            ExportTo = ValueList.Of(".", "other"),
            SubjectAltNames = ValueList.Of("spiffe://cluster.local/ns/data/sa/mongo"),
        };
        Assert.Equal(expected, Assert.Single(read.Resources).SpecAs<ServiceEntry>());
    }

    [Fact]
    public void Bind_SelectorAndDynamicDns_BindsEnumAndSelector()
    {
        var yaml = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: se}
            spec:
              hosts: ["*.example.com"]
              resolution: DYNAMIC_DNS
              workloadSelector:
                labels: {app: details}
            """;
        var entry = Assert.Single(ConfigReader.ReadText(yaml, "se.yaml").Resources).SpecAs<ServiceEntry>();
        Assert.Equal(ServiceEntryResolution.DynamicDns, entry.Resolution);
        Assert.Equal(new WorkloadSelector { Labels = ValueMap.Of(("app", "details")) }, entry.WorkloadSelector);
    }

    [Fact]
    public void Bind_EndpointPortNotANumber_ReportsBinderError()
    {
        var yaml = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: se}
            spec:
              hosts: [db.example.com]
              resolution: STATIC
              endpoints:
              - address: 10.0.0.1
                ports: {pg: "5432"}
            """;
        Assert.Equal(
            ["se.yaml:9: ServiceEntry default/se: spec.endpoints[0].ports[pg]: expected a non-negative integer, got a string \"5432\""],
            ConfigReader.ReadText(yaml, "se.yaml").Diagnostics.Select(d => d.ToString()));
    }
}
