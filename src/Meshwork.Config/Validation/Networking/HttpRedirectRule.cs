using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// HTTP redirects (validateHTTPRedirect): something to change, a 3xx code, an http or https scheme and a
/// valid port. Like Istio, it reports the first problem of a redirect only. <c>prefixRewrite</c> (Istio
/// 1.31) counts as something to change and excludes <c>uri</c>.
/// </summary>
public sealed class HttpRedirectRule : SpecRule<VirtualService>
{
    protected override void Check(VirtualService spec, RuleContext context)
    {
        for (var i = 0; i < spec.Http.Count; i++)
        {
            if (spec.Http[i].Redirect is { } redirect)
            {
                CheckRedirect(redirect, $"spec.http[{i}].redirect", context);
            }
        }
    }

    private static void CheckRedirect(HttpRedirect redirect, string path, RuleContext context)
    {
        if (redirect.Uri.Length == 0 && redirect.Authority.Length == 0 && redirect.Port == null && redirect.DerivePort == null
            && redirect.Scheme.Length == 0 && redirect.PrefixRewrite.Length == 0)
        {
            context.Error(path, "redirect must specify uri, prefixRewrite, authority, scheme, port or derivePort");
            return;
        }

        if (redirect.Uri.Length > 0 && redirect.PrefixRewrite.Length > 0)
        {
            context.Error(path + ".prefixRewrite", "only one of uri or prefixRewrite may be set");
            return;
        }

        if (redirect.RedirectCode != 0 && redirect.RedirectCode is < 300 or > 399)
        {
            context.Error(path + ".redirectCode", $"must be a 3xx redirect code, got {redirect.RedirectCode}");
            return;
        }

        if (redirect.Scheme.Length > 0 && redirect.Scheme is not ("http" or "https"))
        {
            context.Error(path + ".scheme", $"invalid redirect scheme, must be \"http\" or \"https\", got \"{redirect.Scheme}\"");
            return;
        }

        if (redirect.Port is > 0 and var port && Checks.Port(port) is { } portError)
        {
            context.Error(path + ".port", portError);
        }
    }
}
