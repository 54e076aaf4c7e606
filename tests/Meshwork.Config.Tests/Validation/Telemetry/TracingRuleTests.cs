using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Telemetry;

public sealed class TracingRuleTests
{
    [Theory]
    [InlineData("-1", "-1")]
    [InlineData("100.5", "100.5")]
    public void Check_SamplingOutOfRange_Reports(string value, string shown)
    {
        var errors = Validate.Errors($"""
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata:
              name: sampling
            spec:
              tracing:
              - randomSamplingPercentage: {value}
            """);

        Assert.Equal([$"test.yaml:7: Telemetry default/sampling: spec.tracing[0].randomSamplingPercentage: must be in range [0.0, 100.0], got {shown}"], errors);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("100")]
    [InlineData("0.01")]
    public void Check_SamplingInRange_IsValid(string value)
    {
        Validate.Valid($"""
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata:
              name: sampling
            spec:
              tracing:
              - randomSamplingPercentage: {value}
            """);
    }

    [Fact]
    public void Check_CustomTagsWithoutValues_ReportsEach()
    {
        var errors = Validate.Errors("""
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata:
              name: tags
            spec:
              tracing:
              - customTags:
                  "":
                    literal:
                      value: x
                  nil:
                  lit:
                    literal: {}
                  hdr:
                    header:
                      defaultValue: none
                  env:
                    environment:
                      name: ""
                  untyped: {}
            """);

        Assert.Equal(
        [
            "test.yaml:8: Telemetry default/tags: spec.tracing[0].customTags[]: tag name may not be empty",
            "test.yaml:11: Telemetry default/tags: spec.tracing[0].customTags[nil]: tag may not have a nil value",
            "test.yaml:13: Telemetry default/tags: spec.tracing[0].customTags[lit].literal.value: may not be empty",
            "test.yaml:15: Telemetry default/tags: spec.tracing[0].customTags[hdr].header.name: may not be empty",
            "test.yaml:19: Telemetry default/tags: spec.tracing[0].customTags[env].environment.name: may not be empty",
        ], errors);
    }

    [Fact]
    public void Check_MultipleTracingAndProviders_Warns()
    {
        const string Yaml = """
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata:
              name: multi
            spec:
              tracing:
              - providers:
                - name: zipkin
                - name: otlp
              - providers:
                - name: zipkin
            """;

        Assert.Empty(Validate.Errors(Yaml));
        Assert.Equal(
        [
            "test.yaml:6: warning: Telemetry default/multi: spec.tracing: multiple tracing is not currently supported; only the first entry is used",
            "test.yaml:7: warning: Telemetry default/multi: spec.tracing[0].providers: multiple providers is not currently supported; only the first provider is used",
        ], Validate.Warnings(Yaml));
    }
}
