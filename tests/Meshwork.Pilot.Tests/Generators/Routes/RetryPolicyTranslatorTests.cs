using Meshwork.Config.Networking;
using Meshwork.Pilot.Generators.Routes;

namespace Meshwork.Pilot.Tests.Generators.Routes;

public class RetryPolicyTranslatorTests
{
    [Fact]
    public void Translate_NoPolicy_IstioDefault()
    {
        var policy = RetryPolicyTranslator.Translate(null, consistentHash: false)!;

        Assert.Equal("connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes", policy.RetryOn);
        Assert.Equal(2u, policy.NumRetries);
        Assert.Equal([503u], policy.RetriableStatusCodes);
        Assert.Equal(5, policy.HostSelectionRetryMaxAttempts);
        Assert.Equal(RetryPolicyTranslator.PreviousHostsPredicate, Assert.Single(policy.RetryHostPredicate).Name);
    }

    [Fact]
    public void Translate_AttemptsZero_DisablesRetries()
    {
        Assert.Null(RetryPolicyTranslator.Translate(new HttpRetry { Attempts = 0, RetryOn = "5xx" }, consistentHash: false));
    }

    [Fact]
    public void Translate_BareStatusCodes_MovedToRetriableStatusCodes()
    {
        var policy = RetryPolicyTranslator.Translate(new HttpRetry { Attempts = 3, RetryOn = "5xx, 503 ,429,999,reset" }, consistentHash: false)!;

        Assert.Equal("5xx,999,reset,retriable-status-codes", policy.RetryOn);
        Assert.Equal([503u, 429u], policy.RetriableStatusCodes);
        Assert.Equal(3u, policy.NumRetries);
    }

    [Fact]
    public void Translate_RetryOnWithoutCodes_DropsDefaultRetriableCodes()
    {
        var policy = RetryPolicyTranslator.Translate(new HttpRetry { Attempts = 1, RetryOn = "gateway-error" }, consistentHash: false)!;

        Assert.Equal("gateway-error", policy.RetryOn);
        Assert.Empty(policy.RetriableStatusCodes);
    }

    [Fact]
    public void Translate_ConsistentHash_KeepsRetriesOnTheSameHost()
    {
        Assert.Empty(RetryPolicyTranslator.Translate(null, consistentHash: true)!.RetryHostPredicate);
    }

    [Fact]
    public void Translate_IgnorePreviousHostsFalse_NoPredicate()
    {
        var policy = RetryPolicyTranslator.Translate(new HttpRetry { Attempts = 2, RetryIgnorePreviousHosts = false, PerTryTimeout = TimeSpan.FromMilliseconds(250) }, consistentHash: false)!;

        Assert.Empty(policy.RetryHostPredicate);
        Assert.Equal(TimeSpan.FromMilliseconds(250), policy.PerTryTimeout.ToTimeSpan());
        Assert.Equal(RetryPolicyTranslator.DefaultRetryOn, policy.RetryOn);
    }
}
