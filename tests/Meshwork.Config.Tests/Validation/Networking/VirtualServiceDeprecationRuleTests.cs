using static Meshwork.Config.Tests.Validation.Networking.VirtualServiceYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class VirtualServiceDeprecationRuleTests
{
    [Fact]
    public void Check_DeprecatedFields_WarnedNotRejected()
    {
        const string spec = """
            hosts: [foo.bar]
            http:
            - route: [{destination: {host: foo.baz}}]
              mirror: {host: shadow}
              mirrorPercent: 50
              corsPolicy: {allowOrigin: ["*"]}
              fault: {delay: {percent: 10, fixedDelay: 1s}}
            """;
        Assert.Empty(Errors(spec));
        Assert.Equal(
            [
                Warning(10, "spec.http[0].mirrorPercent: using deprecated setting \"mirrorPercent\", use \"mirrorPercentage\" instead"),
                Warning(11, "spec.http[0].corsPolicy.allowOrigin: using deprecated setting \"allowOrigin\", use \"allowOrigins\" instead"),
                Warning(12, "spec.http[0].fault.delay.percent: using deprecated setting \"percent\", use \"percentage\" instead"),
            ],
            Warnings(spec));
    }
}
