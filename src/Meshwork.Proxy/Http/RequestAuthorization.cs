using System.Net;
using System.Text;
using Meshwork.Proxy.Authn;
using Meshwork.Proxy.Authorization;
using Meshwork.Proxy.Listeners;
using Microsoft.AspNetCore.Http.Features;

namespace Meshwork.Proxy.Http;

/// <summary>
/// The steps of the request path that come before routing in an Istio inbound sidecar: the
/// connection manager's path normalization (so routes, RBAC and the upstream all see one path) and
/// the RBAC and ext_authz filters. Each answers the request itself when it stops it: 400 for a
/// rejected path, a 307 to the unescaped path, 403 <c>RBAC: access denied</c>, or the external
/// authorizer's answer.
/// </summary>
internal static class RequestAuthorization
{
    /// <summary>Normalizes the request's path in place; returns the normalized path (no query), or null when a reply was sent.</summary>
    public static async ValueTask<string?> NormalizePathAsync(HttpContext context, HttpManager manager)
    {
        var request = context.Request;
        var feature = context.Features.Get<IHttpRequestFeature>();
        var raw = feature?.RawTarget;
        string path;
        string query;
        if (raw is { Length: > 0 } && raw[0] == '/')
        {
            var mark = raw.IndexOf('?', StringComparison.Ordinal);
            (path, query) = mark < 0 ? (raw, string.Empty) : (raw[..mark], raw[mark..]);
        }
        else
        {
            path = request.Path.HasValue ? request.Path.ToUriComponent() : "/";
            query = request.QueryString.Value ?? string.Empty;
        }

        if (!manager.Paths.IsActive)
        {
            return path;
        }

        var verdict = manager.Paths.Normalize(path, out var normalized);
        if (verdict == PathVerdict.Reject)
        {
            await LocalReply.WriteAsync(context, StatusCodes.Status400BadRequest, string.Empty);
            return null;
        }

        if (verdict == PathVerdict.Redirect)
        {
            context.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
            context.Response.Headers.Location = normalized + query;
            context.Response.ContentLength = 0;
            return null;
        }

        if (!ReferenceEquals(normalized, path))
        {
            // What the upstream receives (RequestTarget reads RawTarget) and what routes match.
            if (feature != null)
            {
                feature.RawTarget = normalized + query;
            }

            request.Path = new PathString(DecodeExceptSlashes(normalized));
        }

        return normalized;
    }

    /// <summary>
    /// Runs the manager's RBAC and ext_authz filters in order; false when one stopped the request (its
    /// answer is written). RBAC shadow decisions travel to the ext_authz gates in metadata slots.
    /// </summary>
    public static async ValueTask<bool> AuthorizeAsync(HttpContext context, HttpManager manager, HttpConnectionState connection, string path, ExtAuthzCaller extAuthz, RequestOutcome outcome)
    {
        var steps = manager.Authorization.Steps;
        if (steps.Length == 0)
        {
            return true;
        }

        var input = InputFor(context, manager, connection, path);
        var metadata = default(MetadataSlots);
        foreach (var step in steps)
        {
            if (step.Rbac is { } rbac)
            {
                if (!rbac.Allows(input, out _, out var shadow))
                {
                    await LocalReply.WriteAsync(context, StatusCodes.Status403Forbidden, RbacFilter.DeniedBody);
                    return false;
                }

                if (shadow.Evaluated)
                {
                    // Envoy writes the effective policy only when one matched; the engine result always.
                    if (step.PolicySlot >= 0 && shadow.Policy != null)
                    {
                        metadata[step.PolicySlot] = shadow.Policy;
                    }

                    if (step.ResultSlot >= 0)
                    {
                        metadata[step.ResultSlot] = shadow.Allowed ? "allowed" : "denied";
                    }
                }

                continue;
            }

            var filter = step.ExtAuthz!;
            if (filter.EnabledBy is { } gate && !gate.Matches(step.GateSlot >= 0 ? metadata[step.GateSlot] : null))
            {
                filter.Disabled.Increment();
                continue;
            }

            if (!await extAuthz.CheckAsync(context, filter, connection, outcome))
            {
                return false;
            }
        }

        return true;
    }

    public static AuthorizationInput InputFor(HttpContext context, HttpManager manager, HttpConnectionState connection, string path)
    {
        var direct = Unmapped(context.Connection.RemoteIpAddress ?? IPAddress.None);

        // Envoy's remote address: the peer when the manager uses it, else the last x-forwarded-for entry.
        var remote = direct;
        if (!manager.UseRemoteAddress
            && context.Request.Headers.TryGetValue("x-forwarded-for", out var forwarded)
            && forwarded.Count > 0
            && forwarded[^1] is { } last
            && IPAddress.TryParse(last.AsSpan(last.LastIndexOf(',') + 1).Trim(), out var client))
        {
            remote = Unmapped(client);
        }

        return new AuthorizationInput(
            direct,
            remote,
            Unmapped(context.Connection.LocalIpAddress ?? IPAddress.None),
            context.Connection.LocalPort,
            connection.ServerName,
            context.Request,
            path,

            // The verified client certificate's identity (TD/ns/NS/sa/SA) on an mTLS connection, else none.
            PeerPrincipal: connection.Peer?.Uri, // the URI SAN, scheme included, as Envoy matches principal_name

            // What jwt_authn verified (RequestAuthentication), as Istio's authn filter hands it to RBAC.
            RequestIdentity: context.Features.Get<RequestOrigin>() is { } origin
                ? new RequestIdentity(origin.Principal, origin.Audiences, origin.Presenter, origin.Claims)
                : null);
    }

    private static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>The decoded form ASP.NET Core keeps in <see cref="HttpRequest.Path"/>: every escape decoded but <c>%2F</c>, as Kestrel does.</summary>
    private static string DecodeExceptSlashes(string path)
    {
        if (!path.Contains('%', StringComparison.Ordinal))
        {
            return path;
        }

        var bytes = new List<byte>(path.Length);
        for (var i = 0; i < path.Length; i++)
        {
            if (path[i] == '%' && i + 2 < path.Length && Uri.IsHexDigit(path[i + 1]) && Uri.IsHexDigit(path[i + 2]))
            {
                var value = Convert.ToByte(path.Substring(i + 1, 2), 16);
                if (value != (byte)'/')
                {
                    bytes.Add(value);
                    i += 2;
                    continue;
                }
            }

            bytes.AddRange(Encoding.UTF8.GetBytes(path[i].ToString()));
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
