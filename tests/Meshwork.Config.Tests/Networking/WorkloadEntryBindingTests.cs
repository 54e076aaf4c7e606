using Meshwork.Config.Loading;
using Meshwork.Config.Networking;
using Meshwork.Config.Values;

namespace Meshwork.Config.Tests.Networking;

public class WorkloadEntryBindingTests
{
    [Fact]
    public void Bind_EveryField_RoundTripsIntoRecords()
    {
        var yaml = """
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata:
              name: details-vm-1
            spec:
              address: 2.2.2.2
              ports:
                http: 9080
                grpc: 9090
              labels:
                app: details
                instance-id: vm1
              network: vm-network
              locality: us/us-east-1/az-1
              weight: 10
              service_account: details
            """;
        var read = ConfigReader.ReadText(yaml, "we.yaml");

        Assert.Empty(read.Diagnostics);
        var expected = new WorkloadEntry
        {
            Address = "2.2.2.2",
            Ports = ValueMap.Of(("http", 9080u), ("grpc", 9090u)),
            Labels = ValueMap.Of(("app", "details"), ("instance-id", "vm1")),
            Network = "vm-network",
            Locality = "us/us-east-1/az-1",
            Weight = 10,
            ServiceAccount = "details",
        };
        Assert.Equal(expected, Assert.Single(read.Resources).SpecAs<WorkloadEntry>());
    }

    [Fact]
    public void Bind_NegativeWeight_ReportsBinderError()
    {
        var yaml = """
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: vm}
            spec:
              address: 10.0.0.1
              weight: -1
            """;
        Assert.Equal(
            ["we.yaml:6: WorkloadEntry default/vm: spec.weight: expected a non-negative integer between 0 and 4294967295, got -1"],
            ConfigReader.ReadText(yaml, "we.yaml").Diagnostics.Select(d => d.ToString()));
    }
}
