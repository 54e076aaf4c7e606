using Meshwork.Proxy.Routing;
using Microsoft.AspNetCore.Http;
using static Meshwork.Proxy.Tests.Routing.RoutingFixtures;

namespace Meshwork.Proxy.Tests.Routing;

public class RetryPolicyTests
{
    private static RetryPolicy Policy(string policyJson) =>
        Routes($$"""[{ "name": "r", "match": { "prefix": "/" }, "route": { "cluster": "c", "retryPolicy": {{policyJson}} } }]""").VirtualHosts[0].Routes[0].RetryPolicy!;

    [Fact]
    public void Compile_EveryRetryOnToken_Parses()
    {
        var policy = Policy("""{ "retryOn": "5xx,gateway-error,reset,reset-before-request,connect-failure,envoy-ratelimited,retriable-4xx,refused-stream,retriable-status-codes,retriable-headers,http3-post-connect-failure,cancelled,deadline-exceeded,internal,resource-exhausted,unavailable" }""");

        Assert.Equal((RetryOn)((1 << 16) - 1), policy.RetryOn);
    }

    [Fact]
    public void Compile_UnknownRetryOn_ThrowsNamingTheToken()
    {
        var error = Assert.Throws<ProxyConfigException>(() => Policy("""{ "retryOn": "5xx, sometimes" }"""));

        Assert.Contains("route \"r\": retry_policy retry_on \"sometimes\"", error.Message);
    }

    [Fact]
    public void Compile_Defaults_AreEnvoys()
    {
        var policy = Policy("""{ "retryOn": "5xx" }""");

        Assert.Equal(1, policy.NumRetries);
        Assert.Equal(TimeSpan.FromMilliseconds(25), policy.BackoffBase);
        Assert.Equal(TimeSpan.FromMilliseconds(250), policy.BackoffMax);
        Assert.Equal(1, policy.HostSelectionMaxAttempts);
        Assert.Null(policy.PerTryTimeout);
        Assert.False(policy.AvoidPreviousHosts);
    }

    [Theory]
    [InlineData("5xx", 500, null, true)]
    [InlineData("5xx", 599, null, true)]
    [InlineData("5xx", 429, null, false)]
    [InlineData("gateway-error", 502, null, true)]
    [InlineData("gateway-error", 504, null, true)]
    [InlineData("gateway-error", 500, null, false)]
    [InlineData("retriable-4xx", 409, null, true)]
    [InlineData("retriable-4xx", 404, null, false)]
    [InlineData("retriable-status-codes", 418, null, true)]
    [InlineData("retriable-status-codes", 503, null, false)]
    [InlineData("unavailable", 200, "14", true)]
    [InlineData("cancelled", 200, "1", true)]
    [InlineData("deadline-exceeded", 200, "4", true)]
    [InlineData("resource-exhausted", 200, "8", true)]
    [InlineData("internal", 200, "13", true)]
    [InlineData("internal", 200, "14", false)]
    [InlineData("connect-failure", 503, null, false)]
    public void ShouldRetryStatus_Condition_FollowsEnvoy(string retryOn, int status, string? grpcStatus, bool expected)
    {
        var policy = Policy($$"""{ "retryOn": "{{retryOn}}", "retriableStatusCodes": [418] }""");

        Assert.Equal(expected, policy.ShouldRetryStatus(status, grpcStatus));
    }

    [Fact]
    public void ShouldRetryResponse_UpstreamRateLimited_OnlyUnderEnvoyRateLimited()
    {
        var headers = new HeaderDictionary { ["x-envoy-ratelimited"] = "true" };

        Assert.False(Policy("""{ "retryOn": "5xx" }""").ShouldRetryResponse(503, headers));
        Assert.True(Policy("""{ "retryOn": "envoy-ratelimited" }""").ShouldRetryResponse(429, headers));
    }

    [Fact]
    public void ShouldRetryResponse_RetriableHeaders_MatchResponseHeaders()
    {
        var policy = Policy("""{ "retryOn": "retriable-headers", "retriableHeaders": [{ "name": "x-upstream-retry", "stringMatch": { "exact": "yes" } }] }""");

        Assert.True(policy.ShouldRetryResponse(200, new HeaderDictionary { ["x-upstream-retry"] = "yes" }));
        Assert.False(policy.ShouldRetryResponse(200, new HeaderDictionary()));
    }

    [Fact]
    public void ShouldRetryResponse_GrpcStatusHeader_IsRead()
    {
        Assert.True(Policy("""{ "retryOn": "unavailable" }""").ShouldRetryResponse(200, new HeaderDictionary { ["grpc-status"] = "14" }));
    }

    [Fact]
    public void IsRetriableRequest_RetriableRequestHeaders_MustMatch()
    {
        var policy = Policy("""{ "retryOn": "5xx", "retriableRequestHeaders": [{ "name": ":method", "stringMatch": { "exact": "GET" } }] }""");

        Assert.True(policy.IsRetriableRequest(Request("http://h/")));
        Assert.False(policy.IsRetriableRequest(Request("http://h/", "POST")));
    }

    [Theory]
    [InlineData("reset", true, true, true, true)]
    [InlineData("5xx", true, true, true, true)]
    [InlineData("gateway-error", true, true, true, true)]
    [InlineData("connect-failure", false, false, true, false)]
    [InlineData("reset-before-request", false, true, true, false)]
    [InlineData("refused-stream", false, false, false, true)]
    [InlineData("retriable-status-codes", false, false, false, false)]
    public void ShouldRetryFailure_Condition_FollowsEnvoy(string retryOn, bool reset, bool resetBeforeRequest, bool connectFailure, bool refusedStream)
    {
        var policy = Policy($$"""{ "retryOn": "{{retryOn}}" }""");

        Assert.Equal(
            (reset, resetBeforeRequest, connectFailure, refusedStream),
            (policy.ShouldRetryReset(), policy.ShouldRetryResetBeforeRequest(), policy.ShouldRetryConnectFailure(), policy.ShouldRetryRefusedStream()));
    }

    [Theory]
    [InlineData("5xx", true)]
    [InlineData("gateway-error", true)]
    [InlineData("reset", false)]
    [InlineData("connect-failure", false)]
    public void ShouldRetryPerTryTimeout_Condition_OnlyUnder5xxOrGatewayError(string retryOn, bool expected)
    {
        Assert.Equal(expected, Policy($$"""{ "retryOn": "{{retryOn}}" }""").ShouldRetryPerTryTimeout());
    }

    [Theory]
    [InlineData(1, 25)]
    [InlineData(2, 50)]
    [InlineData(3, 100)]
    [InlineData(4, 200)]
    [InlineData(5, 250)]
    [InlineData(60, 250)]
    public void Backoff_Attempt_IsFullyJitteredBelowTheCappedExponential(int attempt, int ceilingMs)
    {
        var policy = Policy("""{ "retryOn": "5xx" }""");
        var random = new Random(3);

        for (var i = 0; i < 200; i++)
        {
            Assert.InRange(policy.Backoff(attempt, random.NextDouble()), TimeSpan.Zero, TimeSpan.FromMilliseconds(ceilingMs));
        }

        Assert.Equal(TimeSpan.Zero, policy.Backoff(attempt, 0));
        Assert.Equal(TimeSpan.FromMilliseconds(ceilingMs / 2.0), policy.Backoff(attempt, 0.5));
    }

    [Fact]
    public void Compile_BackoffAndPerTry_AreRead()
    {
        var policy = Policy("""{ "retryOn": "5xx", "numRetries": 0, "perTryTimeout": "0.25s", "perTryIdleTimeout": "1s", "hostSelectionRetryMaxAttempts": "5", "retryBackOff": { "baseInterval": "0.1s", "maxInterval": "0.3s" } }""");

        Assert.Equal(0, policy.NumRetries);
        Assert.Equal(TimeSpan.FromMilliseconds(250), policy.PerTryTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), policy.PerTryIdleTimeout);
        Assert.Equal(5, policy.HostSelectionMaxAttempts);
        Assert.Equal(TimeSpan.FromMilliseconds(300), policy.Backoff(10, 1));
    }

    [Theory]
    [InlineData("""{ "retryOn": "5xx", "retryBackOff": { "baseInterval": "1s", "maxInterval": "0.5s" } }""")]
    [InlineData("""{ "retryOn": "5xx", "retryBackOff": { "maxInterval": "0.5s" } }""")]
    [InlineData("""{ "retryOn": "5xx", "retryHostPredicate": [{ "name": "envoy.retry_host_predicates.omit_canary_hosts" }] }""")]
    public void Compile_InvalidRetryPolicy_Throws(string policy)
    {
        Assert.Throws<ProxyConfigException>(() => Policy(policy));
    }
}
