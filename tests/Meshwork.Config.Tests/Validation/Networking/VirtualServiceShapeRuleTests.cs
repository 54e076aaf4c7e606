using static Meshwork.Config.Tests.Validation.Networking.VirtualServiceYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class VirtualServiceShapeRuleTests
{
    [Fact]
    public void Check_DelegateWithHttpRoutesOnly_Accepted() => Valid("http:\n- route: [{destination: {host: foo.baz}}]");

    [Fact]
    public void Check_DelegateWithGatewaysAndL4Routes_Rejected()
    {
        Assert.Equal(
            [
                Error(6, "spec.gateways: delegate virtual service (one without hosts) must have no gateways specified"),
                Error(7, "spec.tcp: delegate virtual service (one without hosts) must have no tcp route specified"),
                Error(9, "spec.tls: delegate virtual service (one without hosts) must have no tls route specified"),
                Error(10, "spec.tls[0].match[0].sniHosts[0]: SNI host \"a.com\" is not a compatible subset of any of the virtual service hosts: []"),
            ],
            Errors("""
                gateways: [test]
                tcp:
                - route: [{destination: {host: foo.baz}}]
                tls:
                - match: [{sniHosts: [a.com]}]
                  route: [{destination: {host: foo.baz}}]
                """));
    }

    [Fact]
    public void Check_NoRoutesAtAll_Rejected()
    {
        Assert.Equal([Error(6, "spec: http, tcp or tls must be provided in virtual service")], Errors("hosts: [reviews]"));
    }
}
