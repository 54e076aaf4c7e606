using Meshwork.Config.Tests.Support;
using static Meshwork.Config.Tests.Validation.Networking.DestinationRuleYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class TrafficPolicyLoadBalancerRuleTests
{
    [Theory]
    [InlineData("simple: ROUND_ROBIN")]
    [InlineData("consistentHash: {httpHeaderName: x-user}")]
    [InlineData("consistentHash: {httpCookie: {name: user}}")]
    [InlineData("consistentHash: {httpCookie: {name: user, ttl: 0s, attributes: [{name: SameSite, value: Lax}]}}")]
    [InlineData("consistentHash: {useSourceIp: true, ringHash: {minimumRingSize: 1024}}")]
    [InlineData("consistentHash: {httpQueryParameterName: user, maglev: {tableSize: 65537}}")]
    [InlineData("consistentHash: {useSourceIp: true, maglev: {tableSize: 2}}")]
    [InlineData("warmup: {duration: 300s, minimumPercent: 5, aggression: 0.5}")]
    [InlineData("warmupDurationSecs: 10s")]
    public void Check_ValidSettings_Accepted(string settings) =>
        Validate.Valid(Header + $"  host: reviews\n  trafficPolicy:\n    loadBalancer: {{{settings}}}\n");

    [Fact]
    public void Check_CookieWithoutName_Rejected() =>
        Assert.Equal(
            [
                At(10, "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name: name required for HttpCookie"),
                At(14, "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.attributes[0].name: required: the cookie attribute's name (e.g. SameSite)"),
            ],
            Validate.Errors(Header + """
                  host: reviews
                  trafficPolicy:
                    loadBalancer:
                      consistentHash:
                        httpCookie:
                          path: /
                          ttl: 10s
                          attributes:
                          - value: None
                """));

    [Fact]
    public void Check_MinimumRingSizeWithAlgorithm_RejectedAndWarned()
    {
        var yaml = Header + """
              host: reviews
              trafficPolicy:
                loadBalancer:
                  consistentHash:
                    useSourceIp: true
                    minimumRingSize: 1024
                    ringHash:
                      minimumRingSize: 1024
            """;

        Assert.Equal([At(11, "spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize: only one of MinimumRingSize or Maglev/Ringhash can be specified")], Validate.Errors(yaml));
        Assert.Equal([Warning(11, "spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize: consistent hash MinimumRingSize is deprecated, use ConsistentHashLB's RingHash configuration instead")], Validate.Warnings(yaml));
    }

    [Theory]
    [InlineData(0, new[] { "tableSize must be set for maglev", "tableSize must be a prime number for maglev, got 0" })]
    [InlineData(1000, new[] { "tableSize must be a prime number for maglev, got 1000" })]
    [InlineData(5000011, new[] { "tableSize must be less than 5000011 for maglev, got 5000011" })]
    public void Check_BadMaglevTable_Rejected(long size, string[] messages) =>
        Assert.Equal(
            messages.Select(m => At(12, "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize: " + m)),
            Validate.Errors(Header + $"  host: reviews\n  trafficPolicy:\n    loadBalancer:\n      consistentHash:\n        useSourceIp: true\n        maglev:\n          tableSize: {size}\n"));

    [Fact]
    public void Check_BadWarmup_Rejected() =>
        Assert.Equal(
            [
                At(9, "spec.trafficPolicy.loadBalancer.warmup.duration: duration is required"),
                At(10, "spec.trafficPolicy.loadBalancer.warmup.minimumPercent: minimumPercent value should be between 0 and 100, got 150"),
                At(11, "spec.trafficPolicy.loadBalancer.warmup.aggression: aggression should be greater than 0, got 0"),
            ],
            Validate.Errors(Header + """
                  host: reviews
                  trafficPolicy:
                    loadBalancer:
                      warmup:
                        minimumPercent: 150.0
                        aggression: 0
                """));
}
