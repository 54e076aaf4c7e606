using Meshwork.Config.Tests.Support;
using static Meshwork.Config.Tests.Validation.Networking.SidecarYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class SidecarOutboundTrafficPolicyRuleTests
{
    private static string Policy(string policy) => Header + $"  outboundTrafficPolicy: {{{policy}}}\n";

    [Theory]
    [InlineData("mode: REGISTRY_ONLY")]
    [InlineData("mode: ALLOW_ANY")]
    [InlineData("mode: ALLOW_ANY, egressProxy: {host: egress.example.com, subset: v1, port: {number: 3128}}")]
    public void Check_ValidPolicy_Accepted(string policy) => Validate.Valid(Policy(policy));

    [Fact]
    public void Check_EgressProxyWithRegistryOnly_Rejected() =>
        Assert.Equal([At(6, "spec.outboundTrafficPolicy.egressProxy: egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode")], Validate.Errors(Policy("egressProxy: {host: egress.example.com, port: {number: 3128}}")));

    [Fact]
    public void Check_EgressProxyWithoutPort_Rejected() =>
        Assert.Equal([At(6, "spec.outboundTrafficPolicy.egressProxy.port: egress_proxy port must be non-nil")], Validate.Errors(Policy("mode: ALLOW_ANY, egressProxy: {host: egress.example.com}")));

    [Fact]
    public void Check_BadEgressProxy_Rejected() =>
        Assert.Equal(
            [
                At(6, "spec.outboundTrafficPolicy.egressProxy.host: invalid host \"*.example.com\": domain name \"*.example.com\" invalid (label \"*\" invalid)"),
                At(6, "spec.outboundTrafficPolicy.egressProxy.subset: subset name is invalid: \"v1.0\" is not a DNS-1123 label"),
                At(6, "spec.outboundTrafficPolicy.egressProxy.port.number: port number 0 must be in the range 1..65535"),
            ],
            Validate.Errors(Policy("mode: ALLOW_ANY, egressProxy: {host: \"*.example.com\", subset: v1.0, port: {number: 0}}")));
}
