using System.Text;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using EscapedSlashes = Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager.Types.PathWithEscapedSlashesAction;

namespace Meshwork.Proxy.Http;

/// <summary>What the connection manager does with a request after path normalization.</summary>
internal enum PathVerdict
{
    Continue,

    /// <summary>path_with_escaped_slashes_action REJECT_REQUEST: answer 400.</summary>
    Reject,

    /// <summary>UNESCAPE_AND_REDIRECT: answer a redirect to the unescaped path.</summary>
    Redirect,
}

/// <summary>
/// The HTTP connection manager's path normalization (Envoy's maybeNormalizePath), applied to the
/// path as received before routing and authorization, in Envoy's order: escaped slashes
/// (<c>%2F</c>, <c>%5C</c>) per path_with_escaped_slashes_action, then normalize_path (RFC 3986:
/// percent-encoded unreserved characters decoded, other encodings upper-cased, <c>\</c> as <c>/</c>,
/// dot segments removed), then merge_slashes. The result is what routes, RBAC and the upstream see.
/// A path that needs none of it is returned as is, without allocating.
/// </summary>
internal sealed class PathNormalizer
{
    private readonly bool _normalize;
    private readonly bool _mergeSlashes;
    private readonly EscapedSlashes _escapedSlashes;

    public PathNormalizer(bool normalize, bool mergeSlashes, EscapedSlashes escapedSlashes)
    {
        _normalize = normalize;
        _mergeSlashes = mergeSlashes;
        _escapedSlashes = escapedSlashes;
    }

    public static PathNormalizer From(HttpConnectionManager manager) =>
        new(manager.NormalizePath ?? false, manager.MergeSlashes, manager.PathWithEscapedSlashesAction);

    public bool IsActive => _normalize || _mergeSlashes || _escapedSlashes is EscapedSlashes.RejectRequest or EscapedSlashes.UnescapeAndRedirect or EscapedSlashes.UnescapeAndForward;

    /// <summary>Normalizes <paramref name="path"/> (no query), or says the request must be rejected or redirected.</summary>
    public PathVerdict Normalize(string path, out string normalized)
    {
        normalized = path;
        if (path.Contains('%', StringComparison.Ordinal) && HasEscapedSlash(path))
        {
            switch (_escapedSlashes)
            {
                case EscapedSlashes.RejectRequest:
                    return PathVerdict.Reject;
                case EscapedSlashes.UnescapeAndForward:
                    normalized = UnescapeSlashes(path);
                    break;
                case EscapedSlashes.UnescapeAndRedirect:
                    normalized = Finish(UnescapeSlashes(path));
                    return PathVerdict.Redirect;
            }
        }

        normalized = Finish(normalized);
        return PathVerdict.Continue;
    }

    private string Finish(string path)
    {
        if (_normalize && NeedsNormalizing(path))
        {
            path = RemoveDotSegments(CanonicalEncoding(path));
        }

        if (_mergeSlashes && path.Contains("//", StringComparison.Ordinal))
        {
            path = MergeSlashes(path);
        }

        return path;
    }

    private static bool HasEscapedSlash(string path) =>
        path.Contains("%2F", StringComparison.OrdinalIgnoreCase) || path.Contains("%5C", StringComparison.OrdinalIgnoreCase);

    private static string UnescapeSlashes(string path) =>
        path.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase).Replace("%5C", "\\", StringComparison.OrdinalIgnoreCase);

    private static bool NeedsNormalizing(string path) =>
        path.Contains('%', StringComparison.Ordinal) || path.Contains('\\', StringComparison.Ordinal) || path.Contains("/.", StringComparison.Ordinal) || (path.Length > 0 && path[0] != '/');

    /// <summary>Unreserved characters decoded, every other escape upper-cased, backslashes as slashes.</summary>
    private static string CanonicalEncoding(string path)
    {
        var output = new StringBuilder(path.Length + 1);
        if (path.Length == 0 || (path[0] != '/' && path[0] != '\\'))
        {
            output.Append('/');
        }

        for (var i = 0; i < path.Length; i++)
        {
            var c = path[i];
            if (c == '%' && i + 2 < path.Length && Uri.IsHexDigit(path[i + 1]) && Uri.IsHexDigit(path[i + 2]))
            {
                var decoded = (char)Convert.ToInt32(path.Substring(i + 1, 2), 16);
                if (IsUnreserved(decoded))
                {
                    output.Append(decoded);
                }
                else
                {
                    output.Append('%').Append(char.ToUpperInvariant(path[i + 1])).Append(char.ToUpperInvariant(path[i + 2]));
                }

                i += 2;
            }
            else
            {
                output.Append(c == '\\' ? '/' : c);
            }
        }

        return output.ToString();
    }

    private static bool IsUnreserved(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~';

    /// <summary>RFC 3986 section 5.2.4 on an absolute path: <c>.</c> segments dropped, <c>..</c> removes the one before (never above the root).</summary>
    private static string RemoveDotSegments(string path)
    {
        var segments = path.Split('/');
        var output = new List<string>(segments.Length);
        for (var i = 1; i < segments.Length; i++)
        {
            var segment = segments[i];
            var last = i == segments.Length - 1;
            if (segment == ".")
            {
                if (last)
                {
                    output.Add(string.Empty);
                }
            }
            else if (segment == "..")
            {
                if (output.Count > 0)
                {
                    output.RemoveAt(output.Count - 1);
                }

                if (last)
                {
                    output.Add(string.Empty);
                }
            }
            else
            {
                output.Add(segment);
            }
        }

        return "/" + string.Join('/', output);
    }

    private static string MergeSlashes(string path)
    {
        var output = new StringBuilder(path.Length);
        foreach (var c in path)
        {
            if (c != '/' || output.Length == 0 || output[^1] != '/')
            {
                output.Append(c);
            }
        }

        return output.ToString();
    }
}
