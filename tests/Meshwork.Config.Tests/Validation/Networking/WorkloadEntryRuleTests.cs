using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Networking;

/// <summary>Cases follow Istio's TestValidateWorkloadEntry.</summary>
public class WorkloadEntryRuleTests
{
    private static string Entry(string body) => $"""
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata:
          name: vm-1
          namespace: vms
        spec:
        {body}
        """;

    [Theory]
    [InlineData("  address: 1.2.3.4")]
    [InlineData("  address: unix:///lon/google/com")]
    [InlineData("  address: validdns.com\n  ports: {\"7777\": 7777}")]
    [InlineData("  address: 172.16.1.1\n  ports: {http: 8080}\n  labels: {app: details}\n  weight: 0\n  serviceAccount: details\n  locality: us-east/zone-a")]
    public void Check_EntriesIstioAccepts_AreValid(string body) => Validate.Valid(Entry(body));

    [Fact]
    public void Check_MissingAddress_ReportsError() =>
        Assert.Equal(
            ["test.yaml:7: WorkloadEntry vms/vm-1: spec.address: address is required unless network is set"],
            Validate.Errors(Entry("  labels: {app: details}")));

    [Fact]
    public void Check_NetworkWithoutAddress_Warns()
    {
        var yaml = Entry("  network: network-2");
        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal(["test.yaml:7: warning: WorkloadEntry vms/vm-1: spec.network: address is unset with network \"network-2\""], Validate.Warnings(yaml));
    }

    [Fact]
    public void Check_UnixSocketWithPorts_ReportsError() =>
        Assert.Equal(
            ["test.yaml:8: WorkloadEntry vms/vm-1: spec.ports: unix endpoint unix:///lon/google/com must not include ports"],
            Validate.Errors(Entry("  address: unix:///lon/google/com\n  ports: {\"7777\": 7777}")));

    [Fact]
    public void Check_AddressWithPort_ReportsError() =>
        Assert.Equal(
            ["test.yaml:7: WorkloadEntry vms/vm-1: spec.address: endpoint address \"invaliddns.com:9443\" is not a valid FQDN or an IP address"],
            Validate.Errors(Entry("  address: invaliddns.com:9443")));

    [Fact]
    public void Check_BadPortsLabelsAndServiceAccount_ReportEach() =>
        Assert.Equal(
            [
                "test.yaml:9: WorkloadEntry vms/vm-1: spec.ports[http_1]: invalid port name \"http_1\": must be a DNS-1123 label",
                "test.yaml:10: WorkloadEntry vms/vm-1: spec.ports[grpc]: port number 70000 must be in the range 1..65535",
                "test.yaml:12: WorkloadEntry vms/vm-1: spec.labels[app]: invalid tag value: \"-details\"",
                "test.yaml:13: WorkloadEntry vms/vm-1: spec.serviceAccount: must be at most 253 characters, got 260",
            ],
            Validate.Errors(Entry($"""
                  address: 10.0.0.1
                  ports:
                    http_1: 8080
                    grpc: 70000
                  labels:
                    app: "-details"
                  serviceAccount: {new string('a', 260)}
                """)));
}
