using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Networking;

public class ServiceEntryHostsRuleTests
{
    private static string Entry(string hosts, string rest = "resolution: NONE") => $$"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: se
        spec:
          hosts: {{hosts}}
          ports:
          - {number: 80, name: http, protocol: HTTP}
          {{rest}}
        """;

    [Theory]
    [InlineData("[google.com]")]
    [InlineData("[\"*.google.com\"]")]
    [InlineData("[foo, bar.com]")]
    public void Check_HostsIstioAccepts_AreValid(string hosts) => Validate.Valid(Entry(hosts));

    [Fact]
    public void Check_NoHosts_ReportsError()
    {
        var yaml = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata:
              name: se
            spec:
              ports:
              - {number: 80, name: http, protocol: HTTP}
            """;
        Assert.Equal(["test.yaml:6: ServiceEntry default/se: spec.hosts: service entry must have at least one host"], Validate.Errors(yaml));
    }

    [Fact]
    public void Check_FullWildcardHost_ReportsError() =>
        Assert.Equal(
            ["test.yaml:6: ServiceEntry default/se: spec.hosts[1]: invalid host *: a service entry cannot match every host"],
            Validate.Errors(Entry("[foo.com, \"*\"]")));

    [Fact]
    public void Check_BadHost_ReportsError() =>
        Assert.Equal(
            ["test.yaml:6: ServiceEntry default/se: spec.hosts[0]: invalid host \"-\": domain name \"-\" invalid (label \"-\" invalid)"],
            Validate.Errors(Entry("[\"-\"]")));

    [Fact]
    public void Check_PartialWildcard_WarnsOnly()
    {
        var yaml = Entry("[\"*.nytimes.com\", \"*washingtonpost.com\"]");
        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal(["test.yaml:6: warning: ServiceEntry default/se: spec.hosts[1]: partial wildcard \"*washingtonpost.com\" not allowed"], Validate.Warnings(yaml));
    }

    [Fact]
    public void Check_MultipleHostsWithTcpPort_ReportsError()
    {
        var yaml = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata:
              name: se
            spec:
              hosts: [a.example.com, b.example.com]
              addresses: [10.0.0.1]
              ports:
              - {number: 443, name: https, protocol: HTTPS}
              - {number: 5432, name: pg, protocol: TCP}
              resolution: DNS
            """;
        Assert.Equal(
            ["test.yaml:10: ServiceEntry default/se: spec.ports[1].protocol: multiple hosts provided with non-HTTP, non-TLS ports (protocol TCP); use one host per service entry or resolution NONE"],
            Validate.Errors(yaml));
    }

    [Fact]
    public void Check_MultipleHostsWithTcpPortAndResolutionNone_IsAccepted() => Assert.Empty(Validate.Errors("""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: se
        spec:
          hosts: [a.example.com, b.example.com]
          addresses: [10.0.0.1]
          ports:
          - {number: 5432, name: pg, protocol: TCP}
        """));
}
