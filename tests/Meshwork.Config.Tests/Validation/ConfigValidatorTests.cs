using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation;

public class ConfigValidatorTests
{
    [Fact]
    public void Validate_BindingErrorAndRuleError_BothReportedInLineOrder()
    {
        var errors = Validate.Errors("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: shop, namespace: retail}
            spec:
              hosts: [shop]
              http:
              - route:
                - destination: {host: shop}
                  weight: -5
                timeout: 1.5x
            """);

        Assert.Equal(
            [
                "test.yaml:9: VirtualService retail/shop: spec.http[0].route[0].weight: must not be negative, got -5",
                "test.yaml:10: VirtualService retail/shop: spec.http[0].timeout: expected a duration such as 1.5s or 100ms, got a string 1.5x",
            ],
            errors);
    }

    [Fact]
    public void Validate_FieldThatFailedToBind_IsNotReportedAgainByRules()
    {
        var errors = Validate.Errors("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: shop}
            spec:
              hosts: shop
              http:
              - route:
                - destination: {host: shop}
            """);

        Assert.Equal(["test.yaml:5: VirtualService default/shop: spec.hosts: expected a list, got a string shop"], errors);
    }

    [Fact]
    public void Validate_PartiallyBoundResource_IsNeverValid()
    {
        var outcome = Validate.Yaml("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec: {host: r, bogus: 1}\n");

        Assert.Empty(outcome.Resources);
        Assert.Empty(outcome.Valid);
        Assert.False(outcome.IsValid);
    }

    [Fact]
    public void Validate_WarningsOnly_IsValid()
    {
        var outcome = Validate.Yaml("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: shop}
            spec:
              hosts: [shop]
              http:
              - route:
                - destination: {host: shop}
                mirrorPercent: 5
                mirror: {host: shadow}
            """);

        Assert.True(outcome.IsValid, string.Join("\n", outcome.Errors));
        Assert.NotEmpty(outcome.Warnings);
        Assert.All(outcome.Warnings, w => Assert.Contains(": warning: ", w.ToString()));
    }
}
