using Envoy.Config.Core.V3;
using Envoy.Type.V3;

namespace Meshwork.Proxy.Routing;

/// <summary>
/// A FractionalPercent as a test against a uniform random number in [0, 1): the same decision as
/// Envoy's <c>random % denominator &lt; numerator</c>, with the randomness supplied by the caller so
/// tests and the pipeline choose their source.
/// </summary>
public readonly record struct Percentage(uint Numerator, uint Denominator)
{
    public static Percentage Never { get; } = new(0, 100);

    public static Percentage Always { get; } = new(100, 100);

    /// <summary>The share as a fraction in [0, 1] (numerators above the denominator count as all).</summary>
    public double Fraction => Math.Min(1.0, (double)Numerator / Denominator);

    public bool IsHit(double random01) => random01 * Denominator < Numerator;

    /// <summary>Unset means 0, as the proto default; Envoy's runtime keys are not read (the proxy has no runtime layer).</summary>
    public static Percentage From(FractionalPercent? percent) => percent == null ? Never : new(percent.Numerator, percent.Denominator switch
    {
        FractionalPercent.Types.DenominatorType.Hundred => 100u,
        FractionalPercent.Types.DenominatorType.TenThousand => 10_000u,
        FractionalPercent.Types.DenominatorType.Million => 1_000_000u,
        _ => throw new ProxyConfigException($"fractional percent: unknown denominator {percent.Denominator}"),
    });

    /// <summary>A RuntimeFractionalPercent: its default_value, or <paramref name="whenUnset"/> when the message is absent.</summary>
    public static Percentage From(RuntimeFractionalPercent? percent, Percentage whenUnset) =>
        percent == null ? whenUnset : From(percent.DefaultValue);
}
