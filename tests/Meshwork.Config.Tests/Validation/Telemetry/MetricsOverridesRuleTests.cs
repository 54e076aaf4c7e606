using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Telemetry;

public sealed class MetricsOverridesRuleTests
{
    [Fact]
    public void Check_TagOverridesAgainstOperation_ReportsEach()
    {
        // Istio's CRD tests "bad-tag-upsert" and "bad-tag-remove".
        var errors = Validate.Errors("""
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata:
              name: tags
            spec:
              metrics:
              - overrides:
                - tagOverrides:
                    foo:
                      operation: UPSERT
                    bar:
                      operation: REMOVE
                      value: oops
                    gone:
                    ok:
                      value: request.host
            """);

        Assert.Equal(
        [
            "test.yaml:9: Telemetry default/tags: spec.metrics[0].overrides[0].tagOverrides[foo]: value must be set when operation is UPSERT",
            "test.yaml:13: Telemetry default/tags: spec.metrics[0].overrides[0].tagOverrides[bar].value: may only be set when operation is UPSERT",
            "test.yaml:14: Telemetry default/tags: spec.metrics[0].overrides[0].tagOverrides[gone]: tag override may not be null",
        ], errors);
    }

    [Fact]
    public void Check_EmptyCustomMetric_Reports()
    {
        // Istio's CRD test "bad-custom-metric".
        var errors = Validate.Errors("""
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata:
              name: bad-custom-metric
            spec:
              metrics:
              - overrides:
                - match:
                    customMetric: ""
            """);

        Assert.Equal(["test.yaml:9: Telemetry default/bad-custom-metric: spec.metrics[0].overrides[0].match.customMetric: may not be empty"], errors);
    }

    [Fact]
    public void Check_EmptyTagName_Warns()
    {
        const string Yaml = """
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata:
              name: tags
            spec:
              metrics:
              - overrides:
                - tagOverrides:
                    "":
                      operation: REMOVE
            """;

        Assert.Empty(Validate.Errors(Yaml));
        Assert.Equal(["test.yaml:9: warning: Telemetry default/tags: spec.metrics[0].overrides[0].tagOverrides[]: tag name may not be empty"], Validate.Warnings(Yaml));
    }

    [Theory]
    [InlineData("0s")]
    [InlineData("500us")]
    public void Check_ReportingIntervalBelowOneMillisecond_Reports(string interval)
    {
        var errors = Validate.Errors($"""
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata:
              name: interval
            spec:
              metrics:
              - reportingInterval: {interval}
            """);

        Assert.Equal(["test.yaml:7: Telemetry default/interval: spec.metrics[0].reportingInterval: duration must be greater than 1ms"], errors);
    }

    [Fact]
    public void Check_IstiosValidTelemetry_IsValid()
    {
        // The metrics of Istio's telemetry-valid.yaml "full", "tag-upsert" and "tag-remove".
        Validate.Valid("""
            apiVersion: telemetry.istio.io/v1alpha1
            kind: Telemetry
            metadata:
              name: full
            spec:
              metrics:
              - providers:
                - name: prometheus
                reportingInterval: 5s
                overrides:
                - tagOverrides:
                    request_method:
                      value: "request.method"
                    request_host:
                      value: "request.host"
                  match:
                    customMetric: "foo"
                  disabled: false
                - match:
                    metric: GRPC_REQUEST_MESSAGES
                  disabled: true
                - tagOverrides:
                    foo:
                      operation: UPSERT
                      value: add
                    bar:
                      operation: REMOVE
            """);
    }
}
