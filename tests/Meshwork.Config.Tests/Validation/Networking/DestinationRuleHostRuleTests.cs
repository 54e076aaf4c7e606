using Meshwork.Config.Tests.Support;
using static Meshwork.Config.Tests.Validation.Networking.DestinationRuleYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class DestinationRuleHostRuleTests
{
    [Theory]
    [InlineData("reviews")]
    [InlineData("reviews.prod.svc.cluster.local")]
    [InlineData("\"*.foo.com\"")]
    [InlineData("\"*\"")]
    [InlineData("istio.io.")]
    public void Check_ValidHost_Accepted(string host) => Validate.Valid(Header + $"  host: {host}\n");

    [Fact]
    public void Check_MissingHost_Required() =>
        Assert.Equal([At(6, "spec.host: required: the name of a service from the service registry")], Validate.Errors(Header + "  exportTo: [\"*\"]\n"));

    [Fact]
    public void Check_WildcardNotFirst_Rejected() =>
        Assert.Equal(
            [At(6, "spec.host: invalid host \"foo.*.com\": domain name \"*.com\" invalid (label \"*\" invalid)")],
            Validate.Errors(Header + "  host: foo.*.com\n"));

    [Fact]
    public void Check_NumericTopLevelDomain_Rejected() =>
        Assert.Equal(
            [At(6, "spec.host: invalid host \"10.0.0.1\": domain name \"0.0.1\" invalid (top level domain \"1\" cannot be all-numeric)")],
            Validate.Errors(Header + "  host: \"10.0.0.1\"\n"));
}
