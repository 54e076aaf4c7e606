using System.Globalization;
using Meshwork.Proxy.Authorization;
using Meshwork.Proxy.Upstream;
using Microsoft.Net.Http.Headers;

namespace Meshwork.Proxy.Http;

/// <summary>
/// Envoy's ext_authz HTTP service client (RawHttpClientImpl): the check is the client's request
/// with the same method, <c>path_prefix</c> + the original path and query, the allowed headers
/// (always Host, Authorization and Content-Length; method and path travel in the request line),
/// <c>headers_to_add</c>, and no body unless <c>with_request_body</c> asks. 200 allows, copying the
/// allowed upstream headers; a 5xx is an error; any other status denies with the service's status,
/// body and the allowed client headers.
/// </summary>
internal static class ExtAuthzHttpCheck
{
    public static async Task<ExtAuthzAnswer> SendAsync(
        HttpContext context,
        ExtAuthzFilter filter,
        CheckBody body,
        UpstreamEndpoint endpoint,
        HttpMessageInvoker invoker,
        (Version Version, HttpVersionPolicy Policy) version,
        CancellationToken cancel)
    {
        using var check = Build(context.Request, filter, body, endpoint.DestinationPrefix);
        check.Version = version.Version;
        check.VersionPolicy = version.Policy;
        using var response = await invoker.SendAsync(check, cancel);
        var status = (int)response.StatusCode;
        if (status >= 500)
        {
            return ExtAuthzAnswer.Failed;
        }

        if (status == StatusCodes.Status200OK)
        {
            var ok = new ExtAuthzAnswer { Verdict = ExtAuthzVerdict.Ok, Status = status };
            foreach (var (name, value) in Headers(response))
            {
                if (filter.UpstreamHeaders?.Matches(name) == true)
                {
                    ok.UpstreamSet.Add((name, value));
                }

                if (filter.UpstreamHeadersToAppend?.Matches(name) == true)
                {
                    ok.UpstreamAppend.Add((name, value));
                }

                if (filter.ClientHeadersOnSuccess?.Matches(name) == true)
                {
                    ok.Client.Add((name, value));
                }
            }

            return ok;
        }

        var denied = new ExtAuthzAnswer { Verdict = ExtAuthzVerdict.Denied, Status = status, Body = await response.Content.ReadAsByteArrayAsync(cancel) };
        foreach (var (name, value) in Headers(response))
        {
            if (filter.ForwardsToDeniedClient(name))
            {
                denied.Client.Add((name, value));
            }
        }

        return denied;
    }

    /// <summary>The check request for <paramref name="request"/> (exposed for tests).</summary>
    internal static HttpRequestMessage Build(HttpRequest request, ExtAuthzFilter filter, CheckBody body, string destinationPrefix)
    {
        var check = new HttpRequestMessage(new HttpMethod(request.Method), destinationPrefix + filter.PathPrefix + RequestPath.RequestTarget(request))
        {
            Content = new ByteArrayContent(body.Bytes ?? []),
        };
        foreach (var (name, values) in request.Headers)
        {
            if (name.StartsWith(':')
                || name.Equals(HeaderNames.Host, StringComparison.OrdinalIgnoreCase)
                || name.Equals(HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase)
                || ExtAuthzCaller.IsFraming(name)
                || !filter.SendsRequestHeader(name))
            {
                continue;
            }

            Add(check, name, values.ToString());
        }

        check.Headers.TryAddWithoutValidation(HeaderNames.Host, request.Host.Value);
        foreach (var (name, value) in filter.HeadersToAdd)
        {
            // Configured headers replace the client's of the same name.
            check.Headers.Remove(name);
            check.Content.Headers.Remove(name);
            Add(check, name, value);
        }

        if (body.Bytes != null && body.PartialHeaderName != null)
        {
            check.Headers.TryAddWithoutValidation(body.PartialHeaderName, body.Partial ? "true" : "false");
        }

        check.Content.Headers.ContentLength = body.Bytes?.Length ?? 0;
        return check;
    }

    private static void Add(HttpRequestMessage check, string name, string value)
    {
        if (!check.Headers.TryAddWithoutValidation(name, value))
        {
            check.Content!.Headers.TryAddWithoutValidation(name, value);
        }
    }

    /// <summary>Every response header (content headers included), one entry per value, names lower-cased as HTTP/2 sends them.</summary>
    private static IEnumerable<(string Name, string Value)> Headers(HttpResponseMessage response)
    {
        foreach (var (name, values) in response.Headers.NonValidated.Concat(response.Content.Headers.NonValidated))
        {
            foreach (var value in values)
            {
                yield return (name.ToLower(CultureInfo.InvariantCulture), value);
            }
        }
    }
}
