using Meshwork.Config.Tests.Support;
using static Meshwork.Config.Tests.Validation.Networking.VirtualServiceYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class RouteDestinationRuleTests
{
    [Fact]
    public void Check_NegativeWeight_ReportedAtTheWeightLine()
    {
        var errors = Validate.Errors("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: shop
              namespace: retail
            spec:
              hosts:
              - shop.retail.svc.cluster.local
              http:
              - route:
                - destination:
                    host: shop.retail.svc.cluster.local
                    subset: v1
                  weight: -5
                - destination:
                    host: shop.retail.svc.cluster.local
                    subset: v2
                  weight: 105
            """);

        Assert.Equal(["test.yaml:14: VirtualService retail/shop: spec.http[0].route[0].weight: must not be negative, got -5"], errors);
    }

    [Theory]
    [InlineData(25, 75)]
    [InlineData(55, 50)]
    [InlineData(49, 50)]
    [InlineData(0, 1)]
    public void Check_WeightsThatDoNotSumTo100_Accepted(int first, int second)
    {
        Valid($"hosts: [foo.bar]\nhttp:\n- route:\n  - {{destination: {{host: foo.baz.south}}, weight: {first}}}\n  - {{destination: {{host: foo.baz.east}}, weight: {second}}}");
    }

    [Fact]
    public void Check_SingleDestinationWithoutWeight_Accepted() => Valid("hosts: [foo.bar]\nhttp:\n- route: [{destination: {host: foo.baz}}]");

    [Fact]
    public void Check_AllWeightsZero_Rejected()
    {
        Assert.Equal(
            [Error(8, "spec.http[0].route: total destination weight must not be 0, got 0 + 0 = 0")],
            Errors("hosts: [foo.bar]\nhttp:\n- route:\n  - destination: {host: a.foo.bar}\n  - destination: {host: b.foo.bar}"));
    }

    [Fact]
    public void Check_DestinationMissingOrInvalid_Rejected()
    {
        Assert.Equal(
            [
                Error(9, "spec.http[0].route[0]: destination is required"),
                Error(10, "spec.http[0].route[1].destination.host: invalid destination host \"*\": a destination must name one service"),
                Error(11, "spec.http[0].route[2].destination.host: invalid host \"foo..bar\": domain name \".bar\" invalid (label \"\" invalid)"),
                Error(12, "spec.http[0].route[3].destination.host: required"),
                Error(12, "spec.http[0].route[3].destination.subset: invalid subset name \"V_1\": must be a DNS-1123 label"),
                Error(13, "spec.http[0].route[4].destination.port.number: port number 0 must be in the range 1..65535"),
            ],
            Errors("""
                hosts: [foo.bar]
                http:
                - route:
                  - weight: 100
                  - destination: {host: "*"}
                  - destination: {host: foo..bar}
                  - destination: {subset: V_1}
                  - destination: {host: foo.bar, port: {}}
                """));
    }

    [Fact]
    public void Check_TcpAndTlsDestinations_Rejected()
    {
        Assert.Equal(
            [
                Error(10, "spec.tcp[0].route[0].weight: must not be negative, got -1"),
                Error(13, "spec.tls[0].route[0].destination.port.number: port number 70000 must be in the range 1..65535"),
            ],
            Errors("""
                hosts: [db.example.com]
                tcp:
                - route:
                  - destination: {host: db.example.com}
                    weight: -1
                tls:
                - match: [{sniHosts: [db.example.com]}]
                  route: [{destination: {host: db.example.com, port: {number: 70000}}}]
                """));
    }
}
