using System.Globalization;
using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Traffic mirroring: the <c>mirror</c> destination and its percentage (0..100), and each of <c>mirrors</c>
/// with a destination and a percentage (validateHTTPRoute, validateHTTPMirrors).
/// </summary>
public sealed class MirrorRule : SpecRule<VirtualService>
{
    protected override void Check(VirtualService spec, RuleContext context)
    {
        for (var i = 0; i < spec.Http.Count; i++)
        {
            var route = spec.Http[i];
            var path = $"spec.http[{i}]";
            if (route.MirrorPercent is > 100 and var percent)
            {
                context.Error(path + ".mirrorPercent", $"must be at most 100, got {percent}");
            }

            CheckPercentage(route.MirrorPercentage, path + ".mirrorPercentage", context);
            if (route.Mirror is { } mirror)
            {
                RoutingChecks.Destination(mirror, path + ".mirror", context);
            }

            for (var k = 0; k < route.Mirrors.Count; k++)
            {
                var item = $"{path}.mirrors[{k}]";
                if (route.Mirrors[k].Destination is not { } destination)
                {
                    context.Error(item, "destination is required for mirrors");
                    continue;
                }

                RoutingChecks.Destination(destination, item + ".destination", context);
                CheckPercentage(route.Mirrors[k].Percentage, item + ".percentage", context);
            }
        }
    }

    private static void CheckPercentage(Percent? percentage, string path, RuleContext context)
    {
        if (percentage is not { Value: var value })
        {
            return;
        }

        if (value > 100)
        {
            context.Error(path + ".value", $"must be at most 100, got {value.ToString(CultureInfo.InvariantCulture)}");
        }
        else if (value < 0)
        {
            context.Error(path + ".value", $"must not be negative, got {value.ToString(CultureInfo.InvariantCulture)}");
        }
    }
}
