using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// What an HTTP route does (validateHTTPRouteConflict): exactly one of forward (<c>route</c>), <c>redirect</c>
/// or <c>directResponse</c>; a redirect or direct response takes no fault or rewrite; a root route (one with a
/// <c>delegate</c>) leaves routing to its delegate; a delegate's routes cannot delegate again; and
/// <c>mirror</c> and <c>mirrors</c> do not mix.
/// </summary>
public sealed class HttpRouteActionRule : SpecRule<VirtualService>
{
    protected override void Check(VirtualService spec, RuleContext context)
    {
        var isDelegate = spec.Hosts.IsEmpty;
        for (var i = 0; i < spec.Http.Count; i++)
        {
            var route = spec.Http[i];
            var path = $"spec.http[{i}]";
            var forwards = !route.Route.IsEmpty;
            if (!isDelegate && route.Delegate != null)
            {
                var root = route.Name.Length > 0 ? $"root HTTP route \"{route.Name}\"" : "root HTTP route";
                if (route.Redirect != null)
                {
                    context.Error(path + ".redirect", $"{root} must not specify redirect: its delegate does the routing");
                }

                // Istio checks for a non-nil list, so an explicit empty `route: []` counts too.
                if (forwards || context.IsSet(path + ".route"))
                {
                    context.Error(path + ".route", $"{root} must not specify route: its delegate does the routing");
                }

                continue;
            }

            if (isDelegate && route.Delegate != null)
            {
                context.Error(path + ".delegate", "delegate HTTP route cannot contain delegate (only one level of delegation is supported)");
            }

            if (route.Redirect != null)
            {
                ReportIf(context, forwards, path + ".redirect", "HTTP route cannot contain both route and redirect");
                ReportIf(context, route.Fault != null, path + ".fault", "HTTP route cannot contain both fault and redirect");
                ReportIf(context, route.Rewrite != null, path + ".rewrite", "HTTP route rule cannot contain both rewrite and redirect");
                ReportIf(context, route.DirectResponse != null, path + ".directResponse", "HTTP route rule cannot contain both direct_response and redirect");
            }
            else if (route.DirectResponse != null)
            {
                ReportIf(context, forwards, path + ".directResponse", "HTTP route cannot contain both route and direct_response");
                ReportIf(context, route.Fault != null, path + ".fault", "HTTP route cannot contain both fault and direct_response");
                ReportIf(context, route.Rewrite != null, path + ".rewrite", "HTTP route rule cannot contain both rewrite and direct_response");
            }
            else if (!forwards)
            {
                context.Error(path, "HTTP route, redirect or direct_response is required");
            }

            ReportIf(context, route.Mirror != null && !route.Mirrors.IsEmpty, path + ".mirrors", "HTTP route cannot contain both mirror and mirrors");
        }
    }

    private static void ReportIf(RuleContext context, bool condition, string path, string message)
    {
        if (condition)
        {
            context.Error(path, message);
        }
    }
}
