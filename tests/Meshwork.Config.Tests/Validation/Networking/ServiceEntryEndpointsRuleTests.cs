using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Networking;

/// <summary>Resolution modes against endpoints and selectors; cases follow Istio's TestValidateServiceEntries.</summary>
public class ServiceEntryEndpointsRuleTests
{
    private static string Entry(string body) => $"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: se
        spec:
        {body}
        """;

    [Fact]
    public void Check_DnsWithNamedEndpoints_IsValid() => Validate.Valid(Entry("""
          hosts: ["*.google.com"]
          ports:
          - {number: 80, name: http-valid1, protocol: http}
          - {number: 8080, name: http-valid2, protocol: http}
          endpoints:
          - {address: lon.google.com, ports: {http-valid1: 8080}, labels: {security.istio.io/tlsMode: istio}}
          - {address: 1.1.1.1, ports: {http-valid2: 9080}}
          resolution: DNS
        """));

    [Fact]
    public void Check_DnsWithoutEndpointsAndWildcardHost_ReportsFqdnRequired() =>
        Assert.Equal(
            ["test.yaml:6: ServiceEntry default/se: spec.hosts[0]: hosts must be FQDN if no endpoints are provided for resolution mode DNS, got \"*.google.com\""],
            Validate.Errors(Entry("""
                  hosts: ["*.google.com"]
                  ports:
                  - {number: 80, name: http-valid1, protocol: http}
                  - {number: 8080, name: http-valid2, protocol: http}
                  resolution: DNS
                """)));

    [Fact]
    public void Check_DnsEndpointNotAName_ReportsError() =>
        Assert.Equal(
            ["test.yaml:11: ServiceEntry default/se: spec.endpoints[0].address: endpoint address \"unix:///lon/google/com\" is not a valid FQDN or an IP address"],
            Validate.Errors(Entry("""
                  hosts: ["*.google.com"]
                  ports:
                  - {number: 80, name: http-valid1, protocol: http}
                  - {number: 8080, name: http-valid2, protocol: http}
                  endpoints:
                  - address: unix:///lon/google/com
                  resolution: DNS
                """)));

    [Fact]
    public void Check_DnsEndpointUndefinedPort_ReportsError() =>
        Assert.Equal(
            ["test.yaml:11: ServiceEntry default/se: spec.endpoints[0].ports[http-dne]: endpoint port \"http-dne\" is not defined by the service entry"],
            Validate.Errors(Entry("""
                  hosts: [google.com]
                  ports:
                  - {number: 80, name: http-valid1, protocol: http}
                  - {number: 8080, name: http-valid2, protocol: http}
                  endpoints:
                  - {address: in.google.com, ports: {http-dne: 9080}}
                  resolution: DNS
                """)));

    [Fact]
    public void Check_DnsRoundRobinWithTwoEndpoints_ReportsError() =>
        Assert.Equal(
            ["test.yaml:9: ServiceEntry default/se: spec.endpoints: there must only be 0 or 1 endpoint for resolution mode DNS_ROUND_ROBIN, got 2"],
            Validate.Errors(Entry("""
                  hosts: [google.com]
                  ports: [{number: 8081, name: http-valid1, protocol: http}]
                  resolution: DNS_ROUND_ROBIN
                  endpoints:
                  - address: api-v1.istio.io
                  - address: 1.1.1.2
                """)));

    [Fact]
    public void Check_DnsWithAddressAndTcpAndTwoHosts_Warns()
    {
        var yaml = Entry("""
              hosts: [httpbin.org, wikipedia.org]
              addresses: [10.10.10.10]
              ports: [{number: 443, name: https, protocol: https}]
              resolution: DNS
            """);
        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal(["test.yaml:6: warning: ServiceEntry default/se: spec.hosts: service entry can not have more than one host specified simultaneously with address and tcp port"], Validate.Warnings(yaml));
    }

    [Fact]
    public void Check_NoneWithEndpoints_ReportsError() =>
        Assert.Equal(
            ["test.yaml:10: ServiceEntry default/se: spec.endpoints: no endpoints should be provided for resolution type NONE"],
            Validate.Errors(Entry("""
                  hosts: [google.com]
                  ports:
                  - {number: 80, name: http-valid1, protocol: http}
                  - {number: 8080, name: http-valid2, protocol: http}
                  endpoints:
                  - address: lon.google.com
                  resolution: NONE
                """)));

    [Fact]
    public void Check_StaticWithIpsAndCidr_IsValid() => Validate.Valid(Entry("""
          hosts: [google.com]
          addresses: [172.1.2.16/16]
          ports:
          - {number: 80, name: http-valid1, protocol: http}
          - {number: 8080, name: http-valid2, protocol: http}
          endpoints:
          - {address: 1.1.1.1, ports: {http-valid1: 8080}}
          - {address: 2.2.2.2, ports: {http-valid2: 9080}}
          resolution: STATIC
        """));

    [Fact]
    public void Check_StaticWithNameEndpoint_ReportsError() =>
        Assert.Equal(
            ["test.yaml:11: ServiceEntry default/se: spec.endpoints[0].address: endpoint address \"google.com\" is not a valid IP address"],
            Validate.Errors(Entry("""
                  hosts: [google.com]
                  ports:
                  - {number: 80, name: http-valid1, protocol: http}
                  - {number: 8080, name: http-valid2, protocol: http}
                  endpoints:
                  - address: google.com
                  resolution: STATIC
                """)));

    [Fact]
    public void Check_StaticUnixSocket_IsValid() => Validate.Valid(Entry("""
          hosts: [uds.cluster.local]
          ports: [{number: 6553, name: grpc-service1, protocol: grpc}]
          resolution: STATIC
          endpoints:
          - address: unix:///path/to/socket
        """));

    [Fact]
    public void Check_StaticUnixSocketProblems_ReportEach() =>
        Assert.Equal(
            [
                "test.yaml:10: ServiceEntry default/se: spec.endpoints[0].address: ./relative/path.sock is not an absolute path to a file",
                "test.yaml:10: ServiceEntry default/se: spec.endpoints[0].address: exactly 1 service port required for unix endpoints, got 2",
                "test.yaml:11: ServiceEntry default/se: spec.endpoints[0].ports: unix endpoint unix://./relative/path.sock must not include ports",
            ],
            Validate.Errors(Entry("""
                  hosts: [uds.cluster.local]
                  ports: [{number: 6553, name: grpc-service1, protocol: grpc}, {number: 80, name: http, protocol: http}]
                  resolution: STATIC
                  endpoints:
                  - address: unix://./relative/path.sock
                    ports: {grpc-service1: 6553}
                """)));

    [Fact]
    public void Check_StaticEndpointWithNetworkOnly_Warns()
    {
        var yaml = Entry("""
              hosts: [www.example.com]
              ports: [{number: 443, name: https-example, protocol: HTTPS}]
              resolution: STATIC
              endpoints:
              - network: cluster-1
            """);
        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal(["test.yaml:10: warning: ServiceEntry default/se: spec.endpoints[0].network: address is unset with network \"cluster-1\""], Validate.Warnings(yaml));
    }

    [Fact]
    public void Check_SelectorWithEndpoints_ReportsError() =>
        Assert.Equal(
            ["test.yaml:8: ServiceEntry default/se: spec.workloadSelector: only one of workloadSelector or endpoints is allowed in a service entry"],
            Validate.Errors(Entry("""
                  hosts: [google.com]
                  ports: [{number: 80, name: http-valid1, protocol: http}]
                  workloadSelector:
                    labels: {foo: bar}
                  endpoints:
                  - address: 1.1.1.1
                  resolution: STATIC
                """)));

    [Fact]
    public void Check_SelectorWithResolutionNone_Warns()
    {
        var yaml = Entry("""
              hosts: [google.com]
              ports: [{number: 80, name: http-valid1, protocol: http}]
              workloadSelector:
                labels: {foo: bar}
            """);
        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal(["test.yaml:8: warning: ServiceEntry default/se: spec.workloadSelector: workloadSelector should not be set when resolution mode is NONE"], Validate.Warnings(yaml));
    }

    [Fact]
    public void Check_SelectorWithoutLabels_Warns() =>
        Assert.Equal(
            ["test.yaml:8: warning: ServiceEntry default/se: spec.workloadSelector: workload selector specified without labels, will be applied to all services in namespace"],
            Validate.Warnings(Entry("""
                  hosts: [google.com]
                  ports: [{number: 80, name: http-valid1, protocol: http}]
                  workloadSelector: {}
                  resolution: DNS
                """)));

    [Fact]
    public void Check_SelectorEmptyKeyAndWildcard_ReportsErrors() =>
        Assert.Equal(
            [
                "test.yaml:11: ServiceEntry default/se: spec.workloadSelector.labels[]: empty key is not supported in selector: \"=bar\"",
                "test.yaml:12: ServiceEntry default/se: spec.workloadSelector.labels[app]: wildcard is not supported in selector: \"app=*\"",
            ],
            Validate.Errors(Entry("""
                  hosts: [google.com]
                  ports: [{number: 80, name: http-valid1, protocol: http}]
                  resolution: DNS
                  workloadSelector:
                    labels:
                      "": bar
                      app: "*"
                """)));

    [Fact]
    public void Check_DynamicDnsWildcardTlsHost_IsValid()
    {
        var yaml = Entry("""
              hosts: ["*.wikipedia.org"]
              ports: [{number: 443, name: tls, protocol: TLS}]
              location: MESH_EXTERNAL
              resolution: DYNAMIC_DNS
              exportTo: ["*"]
            """);
        Assert.Empty(Validate.Errors(yaml));
        Assert.Empty(Validate.Warnings(yaml));
    }

    [Fact]
    public void Check_DynamicDnsConcreteHost_ReportsError() =>
        Assert.Equal(
            ["test.yaml:6: ServiceEntry default/se: spec.hosts[0]: resolution DYNAMIC_DNS requires wildcard hosts (such as *.example.com), got \"en.wikipedia.org\""],
            Validate.Errors(Entry("""
                  hosts: [en.wikipedia.org]
                  ports: [{number: 443, name: tls, protocol: TLS}]
                  resolution: DYNAMIC_DNS
                """)));

    [Fact]
    public void Check_DynamicDnsWithEndpointsAndTcp_Warns()
    {
        var yaml = Entry("""
              hosts: ["*.example.com"]
              ports: [{number: 5432, name: pg, protocol: TCP}]
              resolution: DYNAMIC_DNS
              endpoints:
              - address: db.example.com
            """);
        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal(
            [
                "test.yaml:7: warning: ServiceEntry default/se: spec.ports[0].protocol: resolution DYNAMIC_DNS needs an HTTP Host or TLS SNI to resolve, protocol TCP carries neither",
                "test.yaml:9: warning: ServiceEntry default/se: spec.endpoints: endpoints are ignored with resolution DYNAMIC_DNS",
            ],
            Validate.Warnings(yaml));
    }
}
