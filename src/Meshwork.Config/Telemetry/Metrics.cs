using Meshwork.Config.Binding;
using Meshwork.Config.Values;

namespace Meshwork.Config.Telemetry;

/// <summary>istio.telemetry.v1alpha1.Metrics: providers and ordered overrides of metric generation.</summary>
public sealed record Metrics
{
    public ValueList<ProviderRef> Providers { get; init; }

    public ValueList<MetricsOverrides> Overrides { get; init; }

    /// <summary>How often metrics are reported (Prometheus ignores it; Stackdriver uses it).</summary>
    [Duration]
    public TimeSpan? ReportingInterval { get; init; }
}

/// <summary>istio.telemetry.v1alpha1.MetricsOverrides: disable metrics or change their tags.</summary>
public sealed record MetricsOverrides
{
    public MetricSelector? Match { get; init; }

    public bool? Disabled { get; init; }

    public ValueMap<string, TagOverride?> TagOverrides { get; init; }
}

/// <summary>istio.telemetry.v1alpha1.MetricSelector: a standard or custom metric, and the mode it applies in.</summary>
public sealed record MetricSelector
{
    [OneOf("metricMatch")]
    public IstioMetric? Metric { get; init; }

    [OneOf("metricMatch")]
    public string? CustomMetric { get; init; }

    public WorkloadMode Mode { get; init; }
}

/// <summary>MetricSelector.IstioMetric: Istio's standard metrics.</summary>
public enum IstioMetric
{
    AllMetrics = 0,
    RequestCount = 1,
    RequestDuration = 2,
    RequestSize = 3,
    ResponseSize = 4,
    TcpOpenedConnections = 5,
    TcpClosedConnections = 6,
    TcpSentBytes = 7,
    TcpReceivedBytes = 8,
    GrpcRequestMessages = 9,
    GrpcResponseMessages = 10,
}

/// <summary>MetricsOverrides.TagOverride: add, change or remove one metric tag.</summary>
public sealed record TagOverride
{
    public TagOperation Operation { get; init; }

    /// <summary>A CEL expression; only meaningful for UPSERT.</summary>
    public string Value { get; init; } = string.Empty;
}

/// <summary>MetricsOverrides.TagOverride.Operation.</summary>
public enum TagOperation
{
    Upsert = 0,
    Remove = 1,
}
