using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Networking;

public class GatewayServersRuleTests
{
    [Fact]
    public void Check_BookinfoStyleGateway_IsValid() => Validate.Valid("""
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata:
          name: bookinfo-gateway
        spec:
          selector:
            istio: ingressgateway
          servers:
          - port:
              number: 8080
              name: http
              protocol: HTTP
            hosts:
            - "*"
        """);

    [Fact]
    public void Check_NoServers_ReportsError()
    {
        var yaml = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata:
              name: empty
            spec:
              selector:
                istio: ingressgateway
            """;
        Assert.Equal(["test.yaml:6: Gateway default/empty: spec.servers: gateway must have at least one server"], Validate.Errors(yaml));
    }

    [Fact]
    public void Check_DottedName_ReportsError()
    {
        var yaml = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata:
              name: my.gateway
            spec:
              servers:
              - port: {number: 80, name: http, protocol: HTTP}
                hosts: ["foo.bar.com"]
            """;
        Assert.Equal(["test.yaml:4: Gateway default/my.gateway: metadata.name: invalid gateway name \"my.gateway\": must be a DNS-1123 label (no dots)"], Validate.Errors(yaml));
    }

    [Fact]
    public void Check_DuplicatePortNamesAcrossServers_ReportsError()
    {
        // Istio's "duplicate port names" case.
        var yaml = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata:
              name: gw
              namespace: edge
            spec:
              servers:
              - port:
                  number: 80
                  name: foo
                  protocol: http
                hosts: ["foo.bar.com"]
              - port:
                  number: 8080
                  name: foo
                  protocol: http
                hosts: ["scooby.doo.com"]
            """;
        Assert.Equal(["test.yaml:15: Gateway edge/gw: spec.servers[1].port.name: port names in servers must be unique: duplicate name \"foo\""], Validate.Errors(yaml));
    }
}
