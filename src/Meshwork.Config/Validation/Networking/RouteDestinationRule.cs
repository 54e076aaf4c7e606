using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// The destinations of HTTP, TLS and TCP routes (validateHTTPRouteDestinations, validateRouteDestinations):
/// each has a destination (host, subset, port) and a non-negative weight. Weights are relative and need not
/// add up to 100; only several destinations that all weigh 0 are an error.
/// </summary>
public sealed class RouteDestinationRule : SpecRule<VirtualService>
{
    protected override void Check(VirtualService spec, RuleContext context)
    {
        for (var i = 0; i < spec.Http.Count; i++)
        {
            RoutingChecks.WeightedDestinations([.. spec.Http[i].Route.Select(r => (r.Destination, r.Weight))], $"spec.http[{i}].route", context);
        }

        for (var i = 0; i < spec.Tls.Count; i++)
        {
            RoutingChecks.WeightedDestinations([.. spec.Tls[i].Route.Select(r => (r.Destination, r.Weight))], $"spec.tls[{i}].route", context);
        }

        for (var i = 0; i < spec.Tcp.Count; i++)
        {
            RoutingChecks.WeightedDestinations([.. spec.Tcp[i].Route.Select(r => (r.Destination, r.Weight))], $"spec.tcp[{i}].route", context);
        }
    }
}
