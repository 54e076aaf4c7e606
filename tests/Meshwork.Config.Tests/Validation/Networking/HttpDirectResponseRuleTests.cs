using static Meshwork.Config.Tests.Validation.Networking.VirtualServiceYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class HttpDirectResponseRuleTests
{
    private static string Response(string response) => $"hosts: [foo.bar]\nhttp:\n- directResponse: {response}";

    [Theory]
    [InlineData("{status: 200}")]
    [InlineData("{status: 600}")]
    [InlineData("{status: 503, body: {string: hello}}")]
    [InlineData("{status: 200, body: {bytes: aGVsbG8=}}")]
    public void Check_ValidResponse_Accepted(string response) => Valid(Response(response));

    [Theory]
    [InlineData(199)]
    [InlineData(601)]
    [InlineData(0)]
    public void Check_StatusOutOfRange_Rejected(int status)
    {
        Assert.Equal(
            [Error(8, $"spec.http[0].directResponse.status: HTTP status must be in the range 200..600, got {status}")],
            Errors(Response($"{{status: {status}}}")));
    }

    [Fact]
    public void Check_BodyOver100KB_Warned()
    {
        var spec = Response($"{{status: 200, body: {{string: {new string('a', (100 * 1024) + 1)}}}}}");
        Assert.Empty(Errors(spec));
        Assert.Equal(
            [Warning(8, "spec.http[0].directResponse.body: large direct_responses may impact control plane performance (102401 bytes)")],
            Warnings(spec));
    }

    [Fact]
    public void Check_BodyOver1MB_Rejected()
    {
        var body = Convert.ToBase64String(new byte[(1024 * 1024) + 1]);
        Assert.Equal(
            [Error(8, "spec.http[0].directResponse.body: large direct_responses may impact control plane performance, must be less than 1MB, got 1048577 bytes")],
            Errors(Response($"{{status: 200, body: {{bytes: {body}}}}}")));
    }
}
