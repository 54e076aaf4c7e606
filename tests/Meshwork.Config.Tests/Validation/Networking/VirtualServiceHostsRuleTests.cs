using static Meshwork.Config.Tests.Validation.Networking.VirtualServiceYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class VirtualServiceHostsRuleTests
{
    private const string Route = "http:\n- route: [{destination: {host: reviews}}]";

    [Theory]
    [InlineData("reviews")]
    [InlineData("reviews.prod.svc.cluster.local")]
    [InlineData("\"*.bookinfo.com\"")]
    [InlineData("192.168.1.1")]
    [InlineData("reviews.prod.svc.cluster.local.")]
    public void Check_ValidHost_Accepted(string host) => Valid($"hosts: [{host}]\n{Route}");

    // Istio names the part after the first label in the inner message, so "*.com" here.
    [Fact]
    public void Check_WildcardInSecondLabel_Rejected()
    {
        Assert.Equal(
            [Error(6, "spec.hosts[0]: invalid host \"*.*.com\": domain name \"*.com\" invalid (label \"*\" invalid)")],
            Errors($"hosts: [\"*.*.com\"]\n{Route}"));
    }

    [Fact]
    public void Check_EmptyAndNumericTopLevelHosts_Rejected()
    {
        Assert.Equal(
            [
                Error(7, "spec.hosts[0]: invalid host \"\": empty domain name not allowed"),
                Error(8, "spec.hosts[1]: invalid host \"foo.123\": domain name \"123\" invalid (top level domain \"123\" cannot be all-numeric)"),
            ],
            Errors($"hosts:\n- \"\"\n- foo.123\n{Route}"));
    }

    [Fact]
    public void Check_StarHostForMesh_Rejected()
    {
        Assert.Equal(
            [Error(6, "spec.hosts[0]: wildcard host * is not allowed for virtual services bound to the mesh gateway")],
            Errors($"hosts: [\"*\"]\n{Route}"));
    }

    [Fact]
    public void Check_StarHostWhenMeshIsOneOfTheGateways_Rejected()
    {
        Assert.Equal(
            [Error(6, "spec.hosts[0]: wildcard host * is not allowed for virtual services bound to the mesh gateway")],
            Errors($"hosts: [\"*\"]\ngateways: [mesh, istio-system/public]\n{Route}"));
    }

    [Fact]
    public void Check_StarHostForGatewaysOnly_Accepted() => Valid($"hosts: [\"*\"]\ngateways: [istio-system/public]\n{Route}");

    [Fact]
    public void Check_OverlappingHosts_RejectedAsDuplicates()
    {
        Assert.Equal(
            [
                Error(9, "spec.hosts[2]: duplicate hosts in virtual service: *.foo.com & bar.foo.com"),
                Error(10, "spec.hosts[3]: duplicate hosts in virtual service: a.com & a.com"),
            ],
            Errors($"hosts:\n- a.com\n- \"*.foo.com\"\n- bar.foo.com\n- a.com\n{Route}"));
    }

    [Fact]
    public void Check_WildcardAndItsBareDomain_NotDuplicates() => Valid($"hosts: [\"*.foo.com\", foo.com]\n{Route}");

    [Fact]
    public void Check_AutoPassthroughSniHostOnGateway_Accepted()
    {
        Valid("""
            hosts: [outbound_.80_._.e2e.foobar.mesh]
            gateways: [istio-system/cross-network]
            tls:
            - match: [{sniHosts: [outbound_.80_._.e2e.foobar.mesh]}]
              route: [{destination: {host: e2e.foobar.mesh}}]
            """);
    }

    [Fact]
    public void Check_AutoPassthroughNameForSidecars_Rejected()
    {
        Assert.Equal(
            [Error(6, "spec.hosts[0]: invalid host \"outbound_.80_._.e2e.foobar.mesh\": domain name \"outbound_.80_._.e2e.foobar.mesh\" invalid (label \"outbound_\" invalid)")],
            Errors($"hosts: [outbound_.80_._.e2e.foobar.mesh]\n{Route}"));
    }
}
