using static Meshwork.Config.Tests.Validation.Networking.VirtualServiceYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class HttpTimeoutRuleTests
{
    private static string Timeout(string timeout) => $"hosts: [foo.bar]\nhttp:\n- route: [{{destination: {{host: foo.baz}}}}]\n  timeout: {timeout}";

    [Theory]
    [InlineData("5s")]
    [InlineData("1ms")]
    [InlineData("1m30s")]
    public void Check_ValidTimeout_Accepted(string timeout) => Valid(Timeout(timeout));

    [Theory]
    [InlineData("0s", "duration must be greater than 1ms")]
    [InlineData("1.5ms", "only durations to ms precision are supported")]
    [InlineData("-1s", "duration must be greater than 1ms")]
    public void Check_BadTimeout_Rejected(string timeout, string message)
    {
        Assert.Equal([Error(9, $"spec.http[0].timeout: {message}")], Errors(Timeout(timeout)));
    }
}
