using static Meshwork.Config.Tests.Validation.Networking.VirtualServiceYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class TlsRouteRuleTests
{
    [Fact]
    public void Check_SniRoutingExampleFromIstioDocs_Accepted()
    {
        Valid("""
            hosts: ["*.bookinfo.com"]
            gateways: [mygateway]
            tls:
            - match:
              - port: 443
                sniHosts: [login.bookinfo.com]
              route:
              - destination: {host: login.prod.svc.cluster.local}
            - match:
              - port: 443
                sniHosts: [reviews.bookinfo.com]
              route:
              - destination: {host: reviews.prod.svc.cluster.local}
            """);
    }

    [Fact]
    public void Check_NoMatchAndNoRoute_Rejected()
    {
        Assert.Equal(
            [
                Error(8, "spec.tls[0]: TLS route must have at least one match condition"),
                Error(8, "spec.tls[0]: TLS route is required: add a route with at least one destination"),
            ],
            Errors("hosts: [a.example.com]\ntls:\n- match: []"));
    }

    [Fact]
    public void Check_MatchWithoutSniHosts_Rejected()
    {
        Assert.Equal(
            [Error(9, "spec.tls[0].match[0]: TLS match must have at least one SNI host")],
            Errors("hosts: [a.example.com]\ntls:\n- route: [{destination: {host: a.example.com}}]\n  match: [{port: 443}]"));
    }

    [Fact]
    public void Check_SniHostOutsideTheHosts_Rejected()
    {
        Assert.Equal(
            [
                Error(10, "spec.tls[0].match[0].sniHosts[0]: SNI host \"b.example.com\" is not a compatible subset of any of the virtual service hosts: [a.example.com, *.foo.com]"),
                Error(11, "spec.tls[0].match[0].sniHosts[1]: SNI host \"*.com\" is not a compatible subset of any of the virtual service hosts: [a.example.com, *.foo.com]"),
                Error(12, "spec.tls[0].match[0].sniHosts[2]: invalid SNI host \"bad_sni.foo.com\": domain name \"bad_sni.foo.com\" invalid (label \"bad_sni\" invalid)"),
            ],
            Errors("""
                hosts: [a.example.com, "*.foo.com"]
                tls:
                - match:
                  - sniHosts:
                    - b.example.com
                    - "*.com"
                    - bad_sni.foo.com
                    - x.foo.com
                  route: [{destination: {host: a.example.com}}]
                """));
    }

    [Fact]
    public void Check_SniHostIsAnIpAddress_Warned()
    {
        const string spec = "hosts: [10.0.0.1]\ntls:\n- match: [{sniHosts: [10.0.0.1]}]\n  route: [{destination: {host: a.example.com}}]";
        Assert.Empty(Errors(spec));
        Assert.Equal([Warning(8, "spec.tls[0].match[0].sniHosts[0]: using an IP address (\"10.0.0.1\") goes against SNI spec and most clients do not support this")], Warnings(spec));
    }

    [Fact]
    public void Check_SubnetsPortLabelsAndGateways_Rejected()
    {
        Assert.Equal(
            [
                Error(10, "spec.tls[0].match[0].destinationSubnets[0]: 10.0.0.0/33 is not a valid CIDR block"),
                Error(10, "spec.tls[0].match[0].destinationSubnets[1]: 300.1.1.1 is not a valid IP"),
                Error(11, "spec.tls[0].match[0].port: port number 65536 must be in the range 1..65535"),
                Error(12, "spec.tls[0].match[0].sourceLabels[app]: invalid tag value: \"bad value\""),
                Error(13, "spec.tls[0].match[0].gateways[0]: invalid gateway \"ns/\": namespace and gateway name cannot be empty"),
            ],
            Errors("""
                hosts: [a.example.com]
                tls:
                - match:
                  - sniHosts: [a.example.com]
                    destinationSubnets: [10.0.0.0/33, 300.1.1.1]
                    port: 65536
                    sourceLabels: {app: bad value}
                    gateways: [ns/]
                  route: [{destination: {host: a.example.com}}]
                """));
    }
}
