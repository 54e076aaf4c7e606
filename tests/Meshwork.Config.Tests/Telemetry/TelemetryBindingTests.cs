using Meshwork.Config.Tests.Support;
using Meshwork.Config.Types;
using Meshwork.Config.Values;
using TelemetryResource = Meshwork.Config.Telemetry.Telemetry;
using Meshwork.Config.Telemetry;

namespace Meshwork.Config.Tests.Telemetry;

public sealed class TelemetryBindingTests
{
    private static ValueMap<string, TValue> Map<TValue>(params (string Key, TValue Value)[] entries) =>
        new(entries.Select(e => KeyValuePair.Create(e.Key, e.Value)));

    [Fact]
    public void Bind_TelemetryWithEveryField_RoundTrips()
    {
        var outcome = Validate.Yaml("""
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata:
              name: full
              namespace: istio-system
            spec:
              selector:
                matchLabels:
                  app: reviews
              tracing:
              - match:
                  mode: CLIENT
                providers:
                - name: otlp
                randomSamplingPercentage: 54.54
                disableSpanReporting: false
                useRequestIdForTraceSampling: true
                enableIstioTags: true
                customTags:
                  env:
                    environment:
                      name: NAME
                      defaultValue: default
                  header:
                    header:
                      name: x-name
                      defaultValue: default name
                  literal:
                    literal:
                      value: default literal
              metrics:
              - providers:
                - name: prometheus
                reportingInterval: 5s
                overrides:
                - match:
                    customMetric: foo
                    mode: SERVER
                  disabled: false
                  tagOverrides:
                    request_method:
                      value: request.method
                    request_host:
                      operation: REMOVE
                - match:
                    metric: GRPC_REQUEST_MESSAGES
                  disabled: true
              accessLogging:
              - match:
                  mode: CLIENT_AND_SERVER
                providers:
                - name: stdout
                disabled: false
                filter:
                  expression: response.code >= 400
            """);

        Assert.Empty(outcome.Errors.Select(e => e.ToString()));
        var spec = Assert.Single(outcome.Resources).SpecAs<TelemetryResource>();
        var expected = new TelemetryResource
        {
            Selector = new WorkloadSelector { MatchLabels = Map(("app", "reviews")) },
            Tracing = ValueList.Of(new Tracing
            {
                Match = new TracingSelector { Mode = WorkloadMode.Client },
                Providers = ValueList.Of(new ProviderRef { Name = "otlp" }),
                RandomSamplingPercentage = 54.54,
                DisableSpanReporting = false,
                UseRequestIdForTraceSampling = true,
                EnableIstioTags = true,
                CustomTags = Map<CustomTag?>(
                    ("env", new CustomTag { Environment = new CustomTagEnvironment { Name = "NAME", DefaultValue = "default" } }),
                    ("header", new CustomTag { Header = new CustomTagHeader { Name = "x-name", DefaultValue = "default name" } }),
                    ("literal", new CustomTag { Literal = new CustomTagLiteral { Value = "default literal" } })),
            }),
            Metrics = ValueList.Of(new Metrics
            {
                Providers = ValueList.Of(new ProviderRef { Name = "prometheus" }),
                ReportingInterval = TimeSpan.FromSeconds(5),
                Overrides = ValueList.Of(
                    new MetricsOverrides
                    {
                        Match = new MetricSelector { CustomMetric = "foo", Mode = WorkloadMode.Server },
                        Disabled = false,
                        TagOverrides = Map<TagOverride?>(
                            ("request_method", new TagOverride { Value = "request.method" }),
                            ("request_host", new TagOverride { Operation = TagOperation.Remove })),
                    },
                    new MetricsOverrides { Match = new MetricSelector { Metric = IstioMetric.GrpcRequestMessages }, Disabled = true }),
            }),
            AccessLogging = ValueList.Of(new AccessLogging
            {
                Match = new AccessLogSelector { Mode = WorkloadMode.ClientAndServer },
                Providers = ValueList.Of(new ProviderRef { Name = "stdout" }),
                Disabled = false,
                Filter = new AccessLogFilter { Expression = "response.code >= 400" },
            }),
        };
        Assert.Equal(expected, spec);
    }

    [Fact]
    public void Bind_TelemetryTargetRefs_RoundTrips()
    {
        var outcome = Validate.Yaml("""
            apiVersion: telemetry.istio.io/v1alpha1
            kind: Telemetry
            metadata:
              name: waypoint
            spec:
              targetRefs:
              - group: gateway.networking.k8s.io
                kind: Gateway
                name: waypoint
              targetRef:
                kind: Service
                name: reviews
            """);

        var spec = Assert.Single(outcome.Resources).SpecAs<TelemetryResource>();
        Assert.Equal(ValueList.Of(new PolicyTargetReference { Group = "gateway.networking.k8s.io", Kind = "Gateway", Name = "waypoint" }), spec.TargetRefs);
        Assert.Equal(new PolicyTargetReference { Kind = "Service", Name = "reviews" }, spec.TargetRef);
    }

    [Fact]
    public void Bind_MetricSelectorWithMetricAndCustomMetric_ReportsOneOfConflict()
    {
        var errors = Validate.Errors("""
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata:
              name: both
            spec:
              metrics:
              - overrides:
                - match:
                    metric: REQUEST_COUNT
                    customMetric: foo
            """);

        Assert.Equal(["test.yaml:10: Telemetry default/both: spec.metrics[0].overrides[0].match.customMetric: only one of metric, customMetric may be set, got metric and customMetric"], errors);
    }
}
