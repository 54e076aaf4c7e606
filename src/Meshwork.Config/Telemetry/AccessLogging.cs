using Meshwork.Config.Values;

namespace Meshwork.Config.Telemetry;

/// <summary>istio.telemetry.v1alpha1.AccessLogging: which providers log, and which requests.</summary>
public sealed record AccessLogging
{
    public AccessLogSelector? Match { get; init; }

    public ValueList<ProviderRef> Providers { get; init; }

    public bool? Disabled { get; init; }

    public AccessLogFilter? Filter { get; init; }
}

/// <summary>AccessLogging.LogSelector.</summary>
public sealed record AccessLogSelector
{
    public WorkloadMode Mode { get; init; }
}

/// <summary>AccessLogging.Filter: a CEL expression over request attributes; only matching requests are logged.</summary>
public sealed record AccessLogFilter
{
    public string Expression { get; init; } = string.Empty;
}
