using Meshwork.Config.Tests.Support;
using static Meshwork.Config.Tests.Validation.Networking.DestinationRuleYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class TrafficPolicyRetryBudgetRuleTests
{
    private static string Budget(string settings) => Header + $"  host: a.b\n  trafficPolicy:\n    retryBudget: {{{settings}}}\n";

    [Theory]
    [InlineData("percent: 20, minRetryConcurrency: 3")]
    [InlineData("percent: 0")]
    [InlineData("percent: 100, budgetInterval: 10s")]
    [InlineData("budgetInterval: 0s")]
    public void Check_ValidBudget_Accepted(string settings) => Validate.Valid(Budget(settings));

    [Fact]
    public void Check_PercentOutOfRange_Rejected() =>
        Assert.Equal([At(8, "spec.trafficPolicy.retryBudget.percent: percent must be in range 0..100, got 120.5")], Validate.Errors(Budget("percent: 120.5")));

    [Fact]
    public void Check_SubMillisecondInterval_Rejected() =>
        Assert.Equal([At(8, "spec.trafficPolicy.retryBudget.budgetInterval: duration must be greater than 1ms, got 100µs")], Validate.Errors(Budget("budgetInterval: 100us")));
}
