using Meshwork.Config.Binding;
using Meshwork.Config.Values;

namespace Meshwork.Config.Telemetry;

/// <summary>istio.telemetry.v1alpha1.Tracing: providers, sampling and custom span tags.</summary>
public sealed record Tracing
{
    public TracingSelector? Match { get; init; }

    public ValueList<ProviderRef> Providers { get; init; }

    /// <summary>Percentage of requests without a prior sampling decision to trace, 0.0..100.0.</summary>
    public double? RandomSamplingPercentage { get; init; }

    public bool? DisableSpanReporting { get; init; }

    /// <summary>Replaces (does not merge with) the parent configuration's tags when set.</summary>
    public ValueMap<string, CustomTag?> CustomTags { get; init; }

    public bool? UseRequestIdForTraceSampling { get; init; }

    public bool? EnableIstioTags { get; init; }
}

/// <summary>Tracing.TracingSelector.</summary>
public sealed record TracingSelector
{
    public WorkloadMode Mode { get; init; }
}

/// <summary>Tracing.CustomTag: where a span tag's value comes from (a oneof).</summary>
public sealed record CustomTag
{
    [OneOf("type")]
    public CustomTagLiteral? Literal { get; init; }

    [OneOf("type")]
    public CustomTagEnvironment? Environment { get; init; }

    [OneOf("type")]
    public CustomTagHeader? Header { get; init; }
}

/// <summary>Tracing.Literal: the same value on every span.</summary>
public sealed record CustomTagLiteral
{
    public string Value { get; init; } = string.Empty;
}

/// <summary>Tracing.Environment: the value of an environment variable of the proxy.</summary>
public sealed record CustomTagEnvironment
{
    public string Name { get; init; } = string.Empty;

    public string DefaultValue { get; init; } = string.Empty;
}

/// <summary>Tracing.RequestHeader: the value of a request header.</summary>
public sealed record CustomTagHeader
{
    public string Name { get; init; } = string.Empty;

    public string DefaultValue { get; init; } = string.Empty;
}
