using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Networking;

public class ServiceEntryAddressesRuleTests
{
    private static string Entry(string addresses, string resolution) => $$"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: se
        spec:
          hosts: [google.com]
          addresses: {{addresses}}
          ports:
          - {number: 80, name: http, protocol: HTTP}
          resolution: {{resolution}}
        """;

    [Theory]
    [InlineData("[172.1.2.16/16]", "NONE")]
    [InlineData("[10.0.0.1, \"2001:db8::1\"]", "DNS")]
    [InlineData("[10.0.0.0/8]", "STATIC")]
    public void Check_AddressesIstioAccepts_AreValid(string addresses, string resolution) => Validate.Valid(Entry(addresses, resolution));

    [Fact]
    public void Check_CidrWithDns_ReportsError() =>
        Assert.Equal(
            ["test.yaml:7: ServiceEntry default/se: spec.addresses[0]: CIDR addresses are allowed only for NONE/STATIC resolution types, got DNS"],
            Validate.Errors(Entry("[1.2.3.4/16]", "DNS")));

    [Fact]
    public void Check_BadAddresses_ReportEach() =>
        Assert.Equal(
            [
                "test.yaml:7: ServiceEntry default/se: spec.addresses[0]: 1.2.3.4/99 is not a valid CIDR block",
                "test.yaml:7: ServiceEntry default/se: spec.addresses[1]: example.com is not a valid IP",
            ],
            Validate.Errors(Entry("[1.2.3.4/99, example.com]", "NONE")));
}
