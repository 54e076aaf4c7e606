using static Meshwork.Config.Tests.Validation.Networking.VirtualServiceYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class VirtualServiceGatewaysRuleTests
{
    private const string Route = "http:\n- route: [{destination: {host: reviews}}]";

    [Theory]
    [InlineData("mesh")]
    [InlineData("my-gateway")]
    [InlineData("istio-system/ingressgateway")]
    public void Check_ValidGatewayName_Accepted(string gateway) => Valid($"hosts: [reviews.com]\ngateways: [{gateway}]\n{Route}");

    [Fact]
    public void Check_InvalidNamespaceAndName_Rejected()
    {
        Assert.Equal(
            [
                Error(8, "spec.gateways[0]: invalid namespace \"bad_ns\" in gateway \"bad_ns/gw\": must be a DNS-1123 label"),
                Error(9, "spec.gateways[1]: invalid gateway \"/gw\": namespace and gateway name cannot be empty"),
                Error(10, "spec.gateways[2]: invalid gateway name \"b/c\" in \"a/b/c\": must be a DNS-1123 label"),
            ],
            Errors($"hosts: [reviews.com]\ngateways:\n- bad_ns/gw\n- /gw\n- a/b/c\n{Route}"));
    }

    [Fact]
    public void Check_BareNameNotAnFqdn_Rejected()
    {
        Assert.Equal(
            [Error(7, "spec.gateways[0]: invalid gateway name \"my_gateway\": domain name \"my_gateway\" invalid (label \"my_gateway\" invalid)")],
            Errors($"hosts: [reviews.com]\ngateways: [my_gateway]\n{Route}"));
    }

    [Fact]
    public void Check_LegacyNameDotNamespace_Warned()
    {
        Assert.Equal(
            [Warning(7, "spec.gateways[0]: using legacy gatewayName format \"gw.istio-system\"; prefer the <namespace>/<name> format: \"istio-system/gw\"")],
            Warnings($"hosts: [reviews.com]\ngateways: [gw.istio-system]\n{Route}"));
    }

    [Fact]
    public void Check_NamesAfterABareName_NotCheckedAsInIstio()
    {
        // Istio's validateGatewayNames returns after the first name without a namespace.
        Valid($"hosts: [reviews.com]\ngateways: [mesh, bad_ns/gw]\n{Route}");
    }
}
