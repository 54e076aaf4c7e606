using Meshwork.Proxy.Authorization;
using Meshwork.Proxy.Listeners;
using Meshwork.Proxy.Runtime;
using Meshwork.Proxy.Upstream;
using Microsoft.Net.Http.Headers;

namespace Meshwork.Proxy.Http;

/// <summary>What the authorization service said: allow (with headers for the upstream and the client), deny (with the answer for the client), or nothing usable.</summary>
internal enum ExtAuthzVerdict { Ok, Denied, Error }

/// <summary>
/// One check's answer. Header lists are already filtered by the transport (the HTTP service's
/// allowed lists; the gRPC service's explicit headers), so applying them is mechanical.
/// </summary>
internal sealed class ExtAuthzAnswer
{
    public static ExtAuthzAnswer Failed { get; } = new() { Verdict = ExtAuthzVerdict.Error };

    public ExtAuthzVerdict Verdict { get; init; }

    public int Status { get; init; }

    public List<(string Name, string Value)> UpstreamSet { get; } = [];

    public List<(string Name, string Value)> UpstreamAppend { get; } = [];

    public List<string> UpstreamRemove { get; } = [];

    public List<(string Name, string Value)> Client { get; } = [];

    public byte[] Body { get; init; } = [];
}

/// <summary>
/// The ext_authz filter at request time (Envoy's ext_authz filter): buffers the body when the filter
/// asks for it, calls the authorization service through the proxy's own upstream (the cluster's
/// pool, endpoints, circuit breaker and TLS) within the filter's timeout, then lets the request go
/// on with the allowed headers, answers the client with the service's denial (flag UAEX), or on
/// error answers status_on_error unless failure_mode_allow lets it through.
/// </summary>
internal sealed class ExtAuthzCaller(DataPlane plane, TimeProvider time)
{
    /// <summary>Envoy's header on the check telling whether the body sent is cut at the limit.</summary>
    private const string PartialBodyHeader = "x-envoy-auth-partial-body";

    public async ValueTask<bool> CheckAsync(HttpContext context, ExtAuthzFilter filter, HttpConnectionState connection, RequestOutcome outcome)
    {
        var body = default(CheckBody);
        if (filter.MaxRequestBytes > 0)
        {
            body = await BufferBodyAsync(context.Request, filter.MaxRequestBytes, context.RequestAborted);
            if (body.Partial && !filter.AllowPartialMessage)
            {
                await LocalReply.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Payload Too Large");
                return false;
            }
        }

        var answer = await AskAsync(context, filter, connection, body);
        switch (answer.Verdict)
        {
            case ExtAuthzVerdict.Ok:
                filter.Ok.Increment();
                Allow(context, answer);
                return true;
            case ExtAuthzVerdict.Denied:
                filter.Denied.Increment();
                outcome.Flags |= ResponseFlags.UnauthorizedExternalService;
                await DenyAsync(context, answer);
                return false;
            default:
                filter.Error.Increment();
                if (filter.FailureModeAllow)
                {
                    filter.FailureModeAllowed.Increment();
                    return true;
                }

                outcome.Flags |= ResponseFlags.UnauthorizedExternalService;
                await LocalReply.WriteAsync(context, filter.StatusOnError, string.Empty);
                return false;
        }
    }

    /// <summary>Picks an endpoint of the filter's cluster and sends the check; any failure below HTTP (or a 5xx from an HTTP service) is an error.</summary>
    private async Task<ExtAuthzAnswer> AskAsync(HttpContext context, ExtAuthzFilter filter, HttpConnectionState connection, CheckBody body)
    {
        var (answer, _) = await ClusterCall.SendAsync(
            plane.Clusters,
            filter.Cluster,
            filter.Timeout,
            time,
            context.RequestAborted,
            (cluster, endpoint, invoker, cancel) => filter.IsGrpc
                ? ExtAuthzGrpcCheck.SendAsync(context, filter, connection, body, endpoint, invoker, time, cancel)
                : ExtAuthzHttpCheck.SendAsync(context, filter, body, endpoint, invoker, cluster.HttpVersion(System.Net.HttpVersion.Version11), cancel),
            static answer => answer.Verdict != ExtAuthzVerdict.Error);
        return answer ?? ExtAuthzAnswer.Failed;
    }

    private static void Allow(HttpContext context, ExtAuthzAnswer answer)
    {
        var headers = context.Request.Headers;
        foreach (var name in answer.UpstreamRemove)
        {
            // Pseudo headers and Host may not be removed (the request would be malformed).
            if (!name.Equals(HeaderNames.Host, StringComparison.OrdinalIgnoreCase) && !name.StartsWith(':'))
            {
                headers.Remove(name);
            }
        }

        foreach (var (name, value) in answer.UpstreamSet)
        {
            headers[name] = value;
        }

        foreach (var (name, value) in answer.UpstreamAppend)
        {
            headers.Append(name, value);
        }

        if (answer.Client.Count > 0)
        {
            context.Response.OnStarting(static state =>
            {
                var (response, client) = ((HttpResponse, List<(string Name, string Value)>))state;
                foreach (var (name, value) in client)
                {
                    response.Headers.Append(name, value);
                }

                return Task.CompletedTask;
            }, (context.Response, answer.Client));
        }
    }

    private static async Task DenyAsync(HttpContext context, ExtAuthzAnswer answer)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            context.Abort();
            return;
        }

        response.Clear();
        response.StatusCode = answer.Status;
        foreach (var (name, value) in answer.Client)
        {
            if (!IsFraming(name))
            {
                response.Headers.Append(name, value);
            }
        }

        response.ContentLength = answer.Body.Length;
        if (answer.Body.Length > 0 && !HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(answer.Body, context.RequestAborted);
        }
    }

    /// <summary>Headers the proxy sets itself for the reply it writes.</summary>
    internal static bool IsFraming(string name) =>
        name.Equals(HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase)
        || name.Equals(HeaderNames.TransferEncoding, StringComparison.OrdinalIgnoreCase)
        || name.Equals(HeaderNames.Connection, StringComparison.OrdinalIgnoreCase)
        || name.Equals(HeaderNames.KeepAlive, StringComparison.OrdinalIgnoreCase)
        || name.Equals(HeaderNames.Upgrade, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Reads up to <paramref name="limit"/> bytes of the request body for the check and rewinds it, so
    /// the upstream still gets the whole body (buffered in memory, then a temporary file, as ASP.NET
    /// Core's request buffering does).
    /// </summary>
    private static async Task<CheckBody> BufferBodyAsync(HttpRequest request, int limit, CancellationToken cancel)
    {
        if (request.ContentLength == 0 || (request.ContentLength == null && !request.Headers.ContainsKey(HeaderNames.TransferEncoding)))
        {
            return new CheckBody([], false, PartialHeaderName: PartialBodyHeader);
        }

        request.EnableBuffering(bufferThreshold: Math.Min(limit + 1, 1024 * 1024));
        using var kept = new MemoryStream();
        var chunk = new byte[Math.Min(limit + 1, 16 * 1024)];
        int count;
        while (kept.Length <= limit && (count = await request.Body.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, limit + 1 - kept.Length)), cancel)) > 0)
        {
            kept.Write(chunk, 0, count);
        }

        // Envoy sends the first max_request_bytes and says the body was cut.
        var partial = kept.Length > limit;
        var bytes = kept.GetBuffer().AsSpan(0, (int)Math.Min(kept.Length, limit)).ToArray();
        request.Body.Position = 0;
        return new CheckBody(bytes, partial, PartialBodyHeader);
    }
}

/// <summary>The request body as the check carries it (null Bytes: the filter sends none).</summary>
internal readonly record struct CheckBody(byte[]? Bytes, bool Partial, string? PartialHeaderName = null);
