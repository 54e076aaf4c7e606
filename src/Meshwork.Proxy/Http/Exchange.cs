using Meshwork.Proxy.Routing;
using Meshwork.Proxy.Upstream;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;

namespace Meshwork.Proxy.Http;

/// <summary>
/// One request on its way upstream: what the route decided (path, authority, header edits), the
/// attempt in progress, and how it ended. It is also the forwarder's transformer for this request,
/// so the per-request state and the header work cost one object. When an upstream answer is to be
/// retried, the transformer declines to copy it, and the response stays untouched for the next try.
/// </summary>
internal sealed class Exchange : HttpTransformer
{
    public Exchange(HttpContext context, HttpManager manager, RouteMatchResult match, string authority, string pathAndQuery)
    {
        Context = context;
        Manager = manager;
        Match = match;
        Authority = authority;
        PathAndQuery = pathAndQuery;
    }

    public HttpContext Context { get; }

    public HttpManager Manager { get; }

    public RouteMatchResult Match { get; }

    public CompiledRoute Route => Match.Route;

    /// <summary>The authority sent upstream (after any host rewrite).</summary>
    public string Authority { get; set; }

    /// <summary>The path and query sent upstream (after any rewrite).</summary>
    public string PathAndQuery { get; set; }

    public string ClusterName { get; set; } = string.Empty;

    /// <summary>The chosen cluster with its own header edits (weighted clusters may carry some).</summary>
    public ClusterChoice? Choice { get; set; }

    public int Attempt { get; set; }

    /// <summary>Set by the retry loop before each attempt: do attempts remain after this one?</summary>
    public bool MayRetryResponse { get; set; }

    /// <summary>The last attempt's answer was retriable, a retry was reserved for it, and it was not copied downstream.</summary>
    public bool RetryRequested { get; private set; }

    /// <summary>The last attempt's answer was retriable by the policy but no retry was left (attempts used up, or the breaker's max_retries): Envoy's URX.</summary>
    public bool RetryExhausted { get; private set; }

    /// <summary>A retry is reserved under the cluster's breaker for the current attempt (release it with <see cref="EndRetry"/>).</summary>
    public bool RetryReserved { get; private set; }

    private UpstreamCluster? _cluster;

    public int UpstreamStatus { get; private set; }

    public ResponseFlags Flags { get; set; }

    public string? UpstreamHost { get; set; }

    public ObservedRequestBody? Body { get; set; }

    public string? SetCookie { get; set; }

    /// <summary>The upstream peer's workload from its response's exchanged metadata, when it sent any.</summary>
    public Telemetry.PeerMetadata? UpstreamPeer { get; private set; }

    public void BeginAttempt(int attempt, bool mayRetry, UpstreamCluster cluster)
    {
        Attempt = attempt;
        MayRetryResponse = mayRetry;
        RetryRequested = false;
        RetryExhausted = false;
        UpstreamStatus = 0;
        _cluster = cluster;
    }

    /// <summary>
    /// Reserves a retry once this attempt turned out to want one (as Envoy's router asks its retry
    /// state only then): attempts must remain, nothing of the body may have gone upstream, and the
    /// breaker's max_retries must allow it. The breaker counts upstream_rq_retry or _overflow, so a
    /// request that never wanted a retry counts neither.
    /// </summary>
    public bool TryReserveRetry()
    {
        if (RetryReserved)
        {
            return true;
        }

        if (!MayRetryResponse || !BodyReplayable || _cluster == null)
        {
            return false;
        }

        RetryReserved = _cluster.TryStartRetry();
        return RetryReserved;
    }

    public void EndRetry()
    {
        if (RetryReserved)
        {
            RetryReserved = false;
            _cluster!.EndRetry();
        }
    }

    /// <summary>Takes back a retry decided on an answer when the request body turned out to be under way (the try then fails as a reset).</summary>
    public void WithdrawRetry()
    {
        RetryRequested = false;
        EndRetry();
    }

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
        proxyRequest.RequestUri = new Uri(destinationPrefix + PathAndQuery, UriKind.Absolute);
        proxyRequest.Headers.Host = Authority;
        var headers = proxyRequest.Headers;
        if (Route.IncludeRequestAttemptCount)
        {
            headers.Remove("x-envoy-attempt-count");
            headers.TryAddWithoutValidation("x-envoy-attempt-count", Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (proxyResponse == null)
        {
            return await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
        }

        if (DeclinesResponse((int)proxyResponse.StatusCode, GrpcStatus(proxyResponse)))
        {
            return false;
        }

        await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
        ApplyResponseEdits();
        return true;
    }

    /// <summary>
    /// Records the upstream status and decides whether this answer is retried instead of copied
    /// downstream (true: a retry is reserved and the response left untouched for the next try).
    /// </summary>
    public bool DeclinesResponse(int status, string? grpcStatus)
    {
        UpstreamStatus = status;
        if (Route.RetryPolicy is { } retry && retry.ShouldRetryStatus(status, grpcStatus))
        {
            if (TryReserveRetry())
            {
                RetryRequested = true;
                Context.Response.Clear();
                return true;
            }

            // A body already streamed is not re-sent; that answer simply stands (not a retry limit).
            RetryExhausted = BodyReplayable;
        }

        return false;
    }

    /// <summary>The route's response edits, applied once the upstream's headers are in the downstream response.</summary>
    public void ApplyResponseEdits()
    {
        var response = Context.Response;
        if (Manager.Telemetry is { } telemetry)
        {
            UpstreamPeer = RequestTelemetry.OnResponse(telemetry, response.Headers) ?? UpstreamPeer;
        }

        Route.ApplyResponseHeaders(response, Choice);
        Route.Cors?.ApplyToResponse(Context.Request, response);
        if (Route.IncludeAttemptCountInResponse)
        {
            response.Headers["x-envoy-attempt-count"] = Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (SetCookie != null)
        {
            response.Headers.Append(HeaderNames.SetCookie, SetCookie);
        }
    }

    // NonValidated: no parsing and no enumerator allocated for the common answer without grpc-status.
    private static string? GrpcStatus(HttpResponseMessage response) =>
        response.Headers.NonValidated.TryGetValues("grpc-status", out var values) ? values.ToString() : null;

    /// <summary>Whether a failed attempt can be sent again: nothing of the request body has gone upstream.</summary>
    public bool BodyReplayable => Body is null || !Body.Started;
}

/// <summary>Watches the request body as the forwarder reads it, so a retry never re-sends a body already streamed.</summary>
internal sealed class ObservedRequestBody(Stream inner) : Stream
{
    private MemoryStream? _capture;
    private int _captureLimit;

    public bool Started { get; private set; }

    /// <summary>Bytes read from the client so far (what went upstream), for istio_request_bytes.</summary>
    public long BytesRead { get; private set; }

    /// <summary>The body as read so far when capturing (for a mirror), or null when it outgrew the limit.</summary>
    public byte[]? Captured => CaptureOverflowed ? null : _capture?.ToArray();

    public bool CaptureOverflowed { get; private set; }

    /// <summary>Keeps a copy of what passes, up to <paramref name="limit"/> bytes.</summary>
    public void Capture(int limit)
    {
        _capture = new MemoryStream();
        _captureLimit = limit;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => Mark(buffer.AsSpan(offset, inner.Read(buffer, offset, count)));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Mark(buffer.Span[..read]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Mark(ReadOnlySpan<byte> read)
    {
        if (read.Length > 0)
        {
            Started = true;
            BytesRead += read.Length;
            if (_capture != null && !CaptureOverflowed)
            {
                if (_capture.Length + read.Length > _captureLimit)
                {
                    CaptureOverflowed = true;
                    _capture = null;
                }
                else
                {
                    _capture.Write(read);
                }
            }
        }

        return read.Length;
    }
}
