using Envoy.Config.Core.V3;
using Meshwork.Config.Networking;
using Meshwork.Config.Values;

namespace Meshwork.Pilot.Generators.Routes;

/// <summary>The Envoy form of an Istio <c>headers</c> block, plus the authority it sets (which Envoy takes as a host rewrite, not a header).</summary>
internal sealed record HeaderOperations(
    IReadOnlyList<HeaderValueOption> RequestHeadersToAdd,
    IReadOnlyList<string> RequestHeadersToRemove,
    IReadOnlyList<HeaderValueOption> ResponseHeadersToAdd,
    IReadOnlyList<string> ResponseHeadersToRemove,
    string Authority)
{
    public static HeaderOperations None { get; } = new([], [], [], [], string.Empty);
}

/// <summary>
/// Istio's TranslateHeadersOperations: <c>set</c> overwrites (OVERWRITE_IF_EXISTS_OR_ADD), <c>add</c>
/// appends (APPEND_IF_EXISTS_OR_ADD), each group sorted by name; pseudo-headers and <c>host</c> are
/// never written or removed, but a request <c>:authority</c>/<c>host</c> (set wins over add) becomes
/// the route's host rewrite.
/// </summary>
internal static class HeaderOperationsTranslator
{
    public static HeaderOperations Translate(Headers? headers)
    {
        if (headers == null)
        {
            return HeaderOperations.None;
        }

        var request = headers.Request;
        var response = headers.Response;
        var (requestSet, setAuthority) = Options(request?.Set ?? default, HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd);
        var (requestAdd, addAuthority) = Options(request?.Add ?? default, HeaderValueOption.Types.HeaderAppendAction.AppendIfExistsOrAdd);
        var (responseSet, _) = Options(response?.Set ?? default, HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd);
        var (responseAdd, _) = Options(response?.Add ?? default, HeaderValueOption.Types.HeaderAppendAction.AppendIfExistsOrAdd);
        return new HeaderOperations(
            [.. requestSet, .. requestAdd],
            DropInternal(request?.Remove ?? default),
            [.. responseSet, .. responseAdd],
            DropInternal(response?.Remove ?? default),
            setAuthority.Length > 0 ? setAuthority : addAuthority);
    }

    private static (List<HeaderValueOption> Options, string Authority) Options(ValueMap<string, string> headers, HeaderValueOption.Types.HeaderAppendAction action)
    {
        var authority = string.Empty;
        var options = new List<HeaderValueOption>();
        foreach (var (key, value) in headers.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            if (IsAuthority(key))
            {
                authority = value;
            }

            if (!IsInternal(key))
            {
                options.Add(new HeaderValueOption { Header = new HeaderValue { Key = key, Value = value }, AppendAction = action });
            }
        }

        return (options, authority);
    }

    private static List<string> DropInternal(ValueList<string> keys) => keys.Where(k => !IsInternal(k)).ToList();

    private static bool IsInternal(string key) => key.StartsWith(':') || key.Equals("host", StringComparison.OrdinalIgnoreCase);

    private static bool IsAuthority(string key) =>
        key.Equals(":authority", StringComparison.OrdinalIgnoreCase) || key.Equals("host", StringComparison.OrdinalIgnoreCase);
}
