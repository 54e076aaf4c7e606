using Meshwork.Config.Tests.Support;
using static Meshwork.Config.Tests.Validation.Networking.DestinationRuleYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class TrafficPolicyOutlierDetectionRuleTests
{
    [Fact]
    public void Check_ValidDetection_Accepted() => Validate.Valid(Header + """
          host: reviews
          trafficPolicy:
            outlierDetection:
              consecutive5xxErrors: 5
              consecutiveGatewayErrors: 3
              interval: 10s
              baseEjectionTime: 30s
              maxEjectionPercent: 100
              minHealthPercent: 0
        """);

    [Fact]
    public void Check_BadValues_Rejected() =>
        Assert.Equal(
            [
                At(9, "spec.trafficPolicy.outlierDetection.interval: only durations to ms precision are supported, got 1.0001s"),
                At(10, "spec.trafficPolicy.outlierDetection.baseEjectionTime: duration must be greater than 1ms, got 0s"),
                At(11, "spec.trafficPolicy.outlierDetection.maxEjectionPercent: percentage 101 is not in range 0..100"),
                At(12, "spec.trafficPolicy.outlierDetection.minHealthPercent: percentage -1 is not in range 0..100"),
            ],
            Validate.Errors(Header + """
                  host: reviews
                  trafficPolicy:
                    outlierDetection:
                      interval: 1.0001s
                      baseEjectionTime: 0s
                      maxEjectionPercent: 101
                      minHealthPercent: -1
                """));

    [Fact]
    public void Check_LocalOriginFailuresWithoutSplit_Rejected() =>
        Assert.Equal([At(9, "spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures: outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false")], Validate.Errors(Header + """
              host: reviews
              trafficPolicy:
                outlierDetection:
                  consecutiveLocalOriginFailures: 3
            """));

    [Fact]
    public void Check_LocalOriginFailuresWithSplit_Accepted() => Validate.Valid(Header + """
          host: reviews
          trafficPolicy:
            outlierDetection:
              splitExternalLocalOriginErrors: true
              consecutiveLocalOriginFailures: 3
        """);

    [Fact]
    public void Check_DeprecatedConsecutiveErrors_Warns()
    {
        var yaml = Header + """
              host: reviews
              trafficPolicy:
                outlierDetection:
                  consecutiveErrors: 7
            """;

        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal([Warning(9, "spec.trafficPolicy.outlierDetection.consecutiveErrors: outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead")], Validate.Warnings(yaml));
    }
}
