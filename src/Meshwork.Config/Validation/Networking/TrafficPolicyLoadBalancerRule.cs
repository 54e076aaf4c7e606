using System.Globalization;
using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Load balancer settings (Istio's validateLoadBalancer, locality aside): consistent hash cookie,
/// ring hash versus the deprecated minimumRingSize, Maglev table size, and warmup.
/// </summary>
public sealed class TrafficPolicyLoadBalancerRule : SpecRule<DestinationRule>
{
    /// <summary>Maglev tables must be prime and below this size (Envoy's limit).</summary>
    private const ulong MaglevTableSizeLimit = 5000011;

    protected override void Check(DestinationRule spec, RuleContext context)
    {
        foreach (var parts in DestinationRulePolicies.Parts(spec))
        {
            if (parts.LoadBalancer is not { } lb)
            {
                continue;
            }

            var path = parts.Path + ".loadBalancer";
            if (lb.ConsistentHash is { } hash)
            {
                CheckConsistentHash(context, path + ".consistentHash", hash);
            }

            if (lb.Warmup is { } warmup)
            {
                CheckWarmup(context, path + ".warmup", warmup);
            }
        }
    }

    private static void CheckConsistentHash(RuleContext context, string path, ConsistentHashLb hash)
    {
        if (hash.HttpCookie is { } cookie)
        {
            if (cookie.Name.Length == 0)
            {
                context.Error(path + ".httpCookie.name", "name required for HttpCookie");
            }

            for (var i = 0; i < cookie.Attributes.Count; i++)
            {
                if (cookie.Attributes[i].Name.Length == 0)
                {
                    context.Error($"{path}.httpCookie.attributes[{i}].name", "required: the cookie attribute's name (e.g. SameSite)");
                }
            }
        }

        if (hash.MinimumRingSize != 0)
        {
            context.Warning(path + ".minimumRingSize", "consistent hash MinimumRingSize is deprecated, use ConsistentHashLB's RingHash configuration instead");
            if (hash.RingHash != null || hash.Maglev != null)
            {
                context.Error(path + ".minimumRingSize", "only one of MinimumRingSize or Maglev/Ringhash can be specified");
            }
        }

        if (hash.Maglev is { } maglev)
        {
            var at = path + ".maglev.tableSize";
            var size = maglev.TableSize;
            if (size == 0)
            {
                context.Error(at, "tableSize must be set for maglev");
            }

            if (size >= MaglevTableSizeLimit)
            {
                context.Error(at, $"tableSize must be less than {MaglevTableSizeLimit} for maglev, got {size}");
            }

            if (!IsPrime(size))
            {
                context.Error(at, $"tableSize must be a prime number for maglev, got {size}");
            }
        }
    }

    private static void CheckWarmup(RuleContext context, string path, WarmupConfiguration warmup)
    {
        if (warmup.Duration == null)
        {
            context.Error(path + ".duration", "duration is required");
        }
        else
        {
            TrafficPolicyDuration.Check(context, path + ".duration", warmup.Duration);
        }

        // The CRD bounds minimumPercent to [0, 100]; Istio's own check covers the upper bound.
        if (warmup.MinimumPercent is { } percent && percent is < 0 or > 100)
        {
            context.Error(path + ".minimumPercent", $"minimumPercent value should be between 0 and 100, got {Format(percent)}");
        }

        // Envoy takes any aggression above 0 (below 1 ramps up faster than linearly).
        if (warmup.Aggression is { } aggression && aggression <= 0)
        {
            context.Error(path + ".aggression", $"aggression should be greater than 0, got {Format(aggression)}");
        }
    }

    /// <summary>Envoy's (and so Istio's) primality test, including its answer for 0 (not prime).</summary>
    private static bool IsPrime(ulong x)
    {
        if (x != 0 && x < 4)
        {
            return true;
        }

        if ((x & 1) == 0)
        {
            return false;
        }

        var limit = (ulong)Math.Sqrt(x);
        for (ulong factor = 3; factor <= limit; factor += 2)
        {
            if (x % factor == 0)
            {
                return false;
            }
        }

        return true;
    }

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);
}
