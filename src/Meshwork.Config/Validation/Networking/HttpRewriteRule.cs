using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// HTTP rewrites (validateHTTPRewrite): at least one of uri, uriRegexRewrite or authority, not both uri and
/// uriRegexRewrite, and a regex rewrite with both an RE2 match and a replacement.
/// </summary>
public sealed class HttpRewriteRule : SpecRule<VirtualService>
{
    protected override void Check(VirtualService spec, RuleContext context)
    {
        for (var i = 0; i < spec.Http.Count; i++)
        {
            if (spec.Http[i].Rewrite is not { } rewrite)
            {
                continue;
            }

            var path = $"spec.http[{i}].rewrite";
            if (rewrite.Uri.Length > 0 && rewrite.UriRegexRewrite != null)
            {
                context.Error(path, "rewrite may only contain one of uri or uriRegexRewrite");
            }
            else if (rewrite.Uri.Length == 0 && rewrite.UriRegexRewrite == null && rewrite.Authority.Length == 0)
            {
                context.Error(path, "rewrite must specify at least one of uri, uriRegexRewrite or authority");
            }
            else if (rewrite.UriRegexRewrite is { } regex)
            {
                if (regex.Match.Length == 0 || regex.Rewrite.Length == 0)
                {
                    context.Error(path + ".uriRegexRewrite", "uriRegexRewrite requires both match and rewrite to be specified");
                }
                else
                {
                    RoutingChecks.Regex(regex.Match, path + ".uriRegexRewrite.match", context);
                }
            }
        }
    }
}
