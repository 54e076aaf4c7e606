using static Meshwork.Config.Tests.Validation.Networking.VirtualServiceYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class HttpRetryRuleTests
{
    // spec line 4, so test.yaml line 9.
    private static string Retries(string retries) => $"hosts: [foo.bar]\nhttp:\n- route: [{{destination: {{host: foo.baz}}}}]\n  retries: {retries}";

    [Theory]
    [InlineData("{attempts: 10, perTryTimeout: 2s, retryOn: \"5xx,gateway-error\"}")]
    [InlineData("{attempts: 0}")]
    [InlineData("{attempts: 10}")]
    [InlineData("{attempts: 10, perTryTimeout: 2s, retryOn: \"503,connect-failure\"}")]
    [InlineData("{attempts: 2, retryOn: \"cancelled,deadline-exceeded,internal,resource-exhausted,unavailable\"}")]
    [InlineData("{attempts: 2, retryOn: \"reset-before-request,retriable-headers,envoy-ratelimited,http3-post-connect-failure,retriable-status-codes,retriable-4xx,refused-stream,reset\"}")]
    [InlineData("{attempts: 3, backoff: 25ms, retryIgnorePreviousHosts: false}")]
    public void Check_ValidRetries_Accepted(string retries) => Valid(Retries(retries));

    [Fact]
    public void Check_NegativeAttempts_Rejected()
    {
        Assert.Equal(
            [Error(9, "spec.http[0].retries.attempts: must not be negative, got -1")],
            Errors(Retries("{attempts: -1, perTryTimeout: 2s}")));
    }

    [Theory]
    [InlineData("{attempts: 0, perTryTimeout: 2s, retryOn: \"5xx,gateway-error\"}")]
    [InlineData("{retryRemoteLocalities: false}")]
    public void Check_PolicyWithRetriesDisabled_Rejected(string retries)
    {
        Assert.Equal(
            [Error(9, "spec.http[0].retries: http retry policy configured when attempts are set to 0 (disabled): set attempts, or remove perTryTimeout, retryOn and retryRemoteLocalities")],
            Errors(Retries(retries)));
    }

    [Theory]
    [InlineData("2.0000001s", "only durations to ms precision are supported")]
    [InlineData("999us", "duration must be greater than 1ms")]
    public void Check_BadPerTryTimeout_Rejected(string timeout, string message)
    {
        Assert.Equal([Error(9, $"spec.http[0].retries.perTryTimeout: {message}")], Errors(Retries($"{{attempts: 10, perTryTimeout: {timeout}}}")));
    }

    [Fact]
    public void Check_BadBackoff_Rejected()
    {
        Assert.Equal([Error(9, "spec.http[0].retries.backoff: duration must be greater than 1ms")], Errors(Retries("{attempts: 10, backoff: 999us}")));
    }

    [Theory]
    [InlineData("5xx,invalid policy", "invalid policy")]
    [InlineData("600,connect-failure", "600")]
    [InlineData("5xx, reset", " reset")]
    [InlineData("306", "306")]
    public void Check_UnknownRetryOn_Rejected(string retryOn, string policy)
    {
        Assert.Equal(
            [Error(9, $"spec.http[0].retries.retryOn: \"{policy}\" is not a valid retryOn policy, expected HTTP status codes or one of: 5xx, gateway-error, reset, reset-before-request, connect-failure, retriable-4xx, refused-stream, retriable-status-codes, retriable-headers, envoy-ratelimited, http3-post-connect-failure, cancelled, deadline-exceeded, internal, resource-exhausted, unavailable")],
            Errors(Retries($"{{attempts: 10, retryOn: \"{retryOn}\"}}")));
    }
}
