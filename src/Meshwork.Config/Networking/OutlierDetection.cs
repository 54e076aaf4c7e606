using Meshwork.Config.Binding;

namespace Meshwork.Config.Networking;

/// <summary>istio.networking.v1alpha3.OutlierDetection: ejects upstream hosts that keep failing.</summary>
public sealed record OutlierDetection
{
    [DeprecatedField("consecutive5xxErrors")]
    public int ConsecutiveErrors { get; init; }

    public bool SplitExternalLocalOriginErrors { get; init; }

    public uint? ConsecutiveLocalOriginFailures { get; init; }

    public uint? ConsecutiveGatewayErrors { get; init; }

    public uint? Consecutive5xxErrors { get; init; }

    [Duration]
    public TimeSpan? Interval { get; init; }

    [Duration]
    public TimeSpan? BaseEjectionTime { get; init; }

    public int MaxEjectionPercent { get; init; }

    public int MinHealthPercent { get; init; }
}
