using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Telemetry;

public sealed class TelemetryProvidersRuleTests
{
    [Fact]
    public void Check_EmptyProviderNames_ReportsEach()
    {
        // Istio's CRD test "bad-provider", for every list of providers.
        var errors = Validate.Errors("""
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata:
              name: bad-provider
            spec:
              metrics:
              - providers:
                - name: ""
              tracing:
              - providers:
                - {}
              accessLogging:
              - providers:
                - name: stdout
                - name: ""
            """);

        Assert.Equal(
        [
            "test.yaml:8: Telemetry default/bad-provider: spec.metrics[0].providers[0].name: provider name may not be empty",
            "test.yaml:11: Telemetry default/bad-provider: spec.tracing[0].providers[0].name: provider name may not be empty",
            "test.yaml:15: Telemetry default/bad-provider: spec.accessLogging[0].providers[1].name: provider name may not be empty",
        ], errors);
    }

    [Fact]
    public void Check_NamedProviders_IsValid()
    {
        Validate.Valid("""
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata:
              name: mesh-default
              namespace: istio-system
            spec:
              accessLogging:
              - providers:
                - name: envoy
            """);
    }
}
