namespace Meshwork.Proxy.Security;

/// <summary>
/// When the agent asks the CA again: at half the certificate's lifetime with a small jitter
/// (Istio's grace period ratio 0.5 with ±0.01), and after a failure with capped exponential backoff
/// with jitter so many proxies do not retry in step. Pure; the random draw is injected.
/// </summary>
public static class RotationPolicy
{
    public const double GraceRatio = 0.5;
    public const double GraceJitter = 0.01;
    public static readonly TimeSpan InitialBackoff = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    /// <summary>Never renew sooner than this after an issuance, so a nearly expired certificate cannot spin the agent.</summary>
    public static readonly TimeSpan MinimumRotationDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The wait before renewing a certificate valid from <paramref name="notBefore"/> to
    /// <paramref name="notAfter"/> received at <paramref name="now"/>; <paramref name="random"/> is in [0, 1).
    /// The lifetime counts from the later of notBefore and now: CAs backdate notBefore for clock skew
    /// (meshd by a minute), which with a short TTL would otherwise put the half-life in the past.
    /// </summary>
    public static TimeSpan RotationDelay(DateTimeOffset notBefore, DateTimeOffset notAfter, DateTimeOffset now, double random)
    {
        var ratio = GraceRatio + (((random * 2) - 1) * GraceJitter);
        var start = notBefore > now ? notBefore : now;
        var delay = (start - now) + ((notAfter - start) * ratio);
        return delay > MinimumRotationDelay ? delay : MinimumRotationDelay;
    }

    /// <summary>The wait after the <paramref name="failures"/>-th failure in a row (1-based): 1 s, 2 s, 4 s ... up to 30 s, each drawn from its upper half.</summary>
    public static TimeSpan Backoff(int failures, double random)
    {
        var exponent = Math.Min(failures - 1, 16);
        var ceiling = TimeSpan.FromTicks(Math.Min(InitialBackoff.Ticks << exponent, MaxBackoff.Ticks));
        return (ceiling / 2) + ((ceiling / 2) * random);
    }
}
