using Meshwork.Config.Binding;
using Meshwork.Config.Values;

namespace Meshwork.Config.Networking;

/// <summary>istio.networking.v1alpha3.Destination: a service (host), optionally a subset and a port.</summary>
public sealed record Destination
{
    public string Host { get; init; } = string.Empty;

    public string Subset { get; init; } = string.Empty;

    public PortSelector? Port { get; init; }
}

/// <summary>istio.networking.v1alpha3.PortSelector.</summary>
public sealed record PortSelector
{
    public uint Number { get; init; }
}

/// <summary>istio.networking.v1alpha3.Percent: a percentage between 0.0 and 100.0.</summary>
public sealed record Percent
{
    public double Value { get; init; }
}

/// <summary>istio.networking.v1alpha3.WorkloadSelector: labels that select workloads.</summary>
public sealed record WorkloadSelector
{
    public ValueMap<string, string> Labels { get; init; }
}

/// <summary>istio.networking.v1alpha3.StringMatch: exact, prefix or RE2 regex (a oneof).</summary>
public sealed record StringMatch
{
    [OneOf("matchType")]
    public string? Exact { get; init; }

    [OneOf("matchType")]
    public string? Prefix { get; init; }

    [OneOf("matchType")]
    public string? Regex { get; init; }
}
