using Meshwork.Config.Tests.Support;
using static Meshwork.Config.Tests.Validation.Networking.DestinationRuleYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class TrafficPolicyTunnelRuleTests
{
    private static string Tunnel(string settings) => Header + $"  host: a.b\n  trafficPolicy:\n    tunnel: {{{settings}}}\n";

    [Theory]
    [InlineData("targetHost: example.com, targetPort: 8443")]
    [InlineData("protocol: CONNECT, targetHost: 192.168.1.2, targetPort: 443")]
    [InlineData("protocol: POST, targetHost: \"2001:db8::1\", targetPort: 80")]
    public void Check_ValidTunnel_Accepted(string settings) => Validate.Valid(Tunnel(settings));

    [Fact]
    public void Check_BadTunnel_Rejected() =>
        Assert.Equal(
            [
                At(8, "spec.trafficPolicy.tunnel.protocol: tunnel protocol must be \"CONNECT\" or \"POST\", got \"connect\""),
                At(8, "spec.trafficPolicy.tunnel.targetHost: tunnel target host must be valid FQDN or IP address: domain name \"example_com\" invalid (label \"example_com\" invalid); example_com is not a valid IP"),
                At(8, "spec.trafficPolicy.tunnel.targetPort: tunnel target port is invalid: port number 0 must be in the range 1..65535"),
            ],
            Validate.Errors(Tunnel("protocol: connect, targetHost: example_com")));

    [Fact]
    public void Check_ProxyProtocolAlone_Accepted() => Validate.Valid(Header + "  host: a.b\n  trafficPolicy:\n    proxyProtocol: {version: V1}\n");
}
