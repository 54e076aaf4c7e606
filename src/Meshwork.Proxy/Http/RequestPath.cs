using System.Runtime.CompilerServices;
using Meshwork.Proxy.Authn;
using Meshwork.Proxy.Listeners;
using Meshwork.Proxy.Routing;
using Meshwork.Proxy.Runtime;
using Meshwork.Proxy.Tracing;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Meshwork.Proxy.Http;

/// <summary>
/// The HTTP request path in one place, in the order a request meets it (Envoy's filter chain of
/// an Istio sidecar): request id, forwarding and client certificate headers → path normalization →
/// jwt_authn → RBAC and ext_authz → Istio's Mixer check → route match → fault → CORS → the route's action (direct response, redirect, or
/// upstream with retries) → stats, Istio's metrics and access log. Istio's metadata exchange reads
/// the peer's headers as the request arrives and as the upstream answers (<see cref="RequestTelemetry"/>).
/// Everything it consults was compiled when config arrived; it only reads snapshots.
/// </summary>
internal sealed partial class RequestPath(DataPlane plane, UpstreamCaller upstream, TimeProvider time, Func<double> random, ILoggerFactory loggers, RequestTracer tracer)
{
    private readonly ILogger _access = loggers.CreateLogger("mesh-proxy.access");
    private readonly ExtAuthzCaller _extAuthz = new(plane, time);
    private readonly Mixer.MixerCaller _mixer = new(plane, time);

    public async Task HandleAsync(HttpContext context)
    {
        var connection = context.Features.Get<HttpConnectionState>();
        if (connection == null)
        {
            await LocalReply.WriteAsync(context, StatusCodes.Status500InternalServerError, "connection without a listener");
            return;
        }

        var manager = connection.Manager;
        if (manager.Retired)
        {
            // The listener changed since this connection opened: close it after this response (HTTP/1.1
            // Connection: close, HTTP/2 GOAWAY), so the client's next request meets the new filters.
            context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionLifetimeNotificationFeature>()?.RequestClose();
        }

        var stats = manager.Stats;
        stats.RqTotal.Increment();
        stats.RqActive.Increment();
        var started = time.GetTimestamp();
        var outcome = new RequestOutcome();
        try
        {
            await RouteAsync(context, connection, manager, outcome);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            outcome.Flags |= ResponseFlags.DownstreamConnectionTermination;
        }
        catch (Exception e) when (e is IOException or Microsoft.AspNetCore.Connections.ConnectionAbortedException)
        {
            outcome.Flags |= ResponseFlags.DownstreamConnectionTermination;
        }
        finally
        {
            stats.RqActive.Decrement();
            var status = context.Response.StatusCode;
            if ((outcome.Flags & ResponseFlags.DownstreamConnectionTermination) != 0)
            {
                stats.DownstreamReset.Increment();
            }

            stats.CountStatus(status);
            stats.CountFlags(outcome.Flags);
            var elapsed = time.GetElapsedTime(started);
            var telemetry = manager.Telemetry is { Records: true } recording ? recording : null;
            var record = manager.AccessLogs.Count > 0 || telemetry?.Overrides.Relabelled > 0
                ? AccessLogging.Record(context, manager, connection, outcome, status, time.GetUtcNow() - elapsed, elapsed)
                : null;
            if (manager.AccessLogs.Count > 0)
            {
                AccessLogging.Write(manager, record!);
            }

            if (telemetry != null)
            {
                RequestTelemetry.Record(telemetry, context, connection, outcome, status, elapsed, record);
            }

            _mixer.Report(context, outcome, status, elapsed);

            LogAccess(context, manager, outcome, status, elapsed);
            tracer.Finish(context, outcome, status, elapsed);
        }
    }

    /// <summary>The jwt_authn filter: false after answering 401; on success the verified origin goes with the request.</summary>
    private async Task<bool> AuthenticateAsync(HttpContext context, JwtAuthnPlan jwt, HttpManagerStats stats)
    {
        var status = jwt.Authenticate(context.Request, time.GetUtcNow().ToUnixTimeSeconds(), out var verified);
        if (status != JwtStatus.Ok)
        {
            stats.JwtDenied.Increment();
            await jwt.RejectAsync(context, status);
            return false;
        }

        stats.JwtAllowed.Increment();
        if (verified.Count > 0)
        {
            context.Features.Set(new RequestOrigin(verified));
        }

        return true;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask RouteAsync(HttpContext context, HttpConnectionState connection, HttpManager manager, RequestOutcome outcome)
    {
        var request = context.Request;
        ForwardingHeaders.Apply(context, manager, connection.IsTls);
        if (manager.Telemetry is { } telemetry)
        {
            outcome.Peer = RequestTelemetry.OnRequest(telemetry, request.Headers);
        }

        manager.ClientCert.Apply(request.Headers, connection.Peer);
        tracer.Start(context, manager);

        // The connection manager normalizes the path; then, as in Istio's inbound chain, jwt_authn and the RBAC filters run ahead of routing.
        if (await RequestAuthorization.NormalizePathAsync(context, manager) is not { } path
            || (manager.JwtAuthn is { } jwt && !await AuthenticateAsync(context, jwt, manager.Stats))
            || !await RequestAuthorization.AuthorizeAsync(context, manager, connection, path, _extAuthz, outcome)
            || (manager.Mixer is { } mixer && !await _mixer.CheckAsync(context, connection, mixer, outcome)))
        {
            return;
        }

        var table = manager.Routes(plane.Routing);
        var match = table?.Match(request);
        if (match == null)
        {
            manager.Stats.NoRoute.Increment();
            outcome.Flags |= ResponseFlags.NoRouteFound;
            await LocalReply.WriteAsync(context, StatusCodes.Status404NotFound, string.Empty);
            return;
        }

        var route = match.Value.Route;
        outcome.RouteName = route.Name;
        RequestTracer.Name(context, route.Operation);
        var forwards = route.Kind is RouteActionKind.Cluster or RouteActionKind.WeightedClusters or RouteActionKind.ClusterHeader;
        var choice = forwards ? route.PickCluster(request, random()) : null;
        outcome.Cluster = choice?.Name;

        // The HTTP filters of an Istio sidecar, in their order: fault, then CORS, then the router.
        if (route.Fault is { } fault && fault.AppliesTo(request, choice?.Name))
        {
            if (fault.ShouldDelay(random()) && fault.DelayFor(request) is { } delay)
            {
                manager.Stats.FaultDelays.Increment();
                outcome.Flags |= ResponseFlags.DelayInjected;
                await Task.Delay(delay, time, context.RequestAborted);
            }

            if (fault.ShouldAbort(random()) && fault.AbortFor(request) is { } abort)
            {
                manager.Stats.FaultAborts.Increment();
                outcome.Flags |= ResponseFlags.FaultInjected;
                await LocalReply.WriteAsync(context, abort.HttpStatus ?? StatusCodes.Status200OK, LocalReply.FaultAbort, abort.GrpcStatus);
                return;
            }
        }

        if (route.Cors is { } cors && CorsPolicy.IsPreflight(request) && cors.TryBuildPreflight(request, context.Response, random()))
        {
            manager.Stats.CorsPreflight.Increment();
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentLength = 0;
            return;
        }

        switch (route.Kind)
        {
            case RouteActionKind.DirectResponse:
                manager.Stats.DirectResponse.Increment();
                route.ApplyResponseHeaders(context.Response);
                context.Response.StatusCode = route.DirectResponse!.Status;
                context.Response.ContentLength = route.DirectResponse.Body.Length;
                if (route.DirectResponse.Body.Length > 0 && request.Method != HttpMethods.Head)
                {
                    await context.Response.Body.WriteAsync(route.DirectResponse.Body, context.RequestAborted);
                }

                return;
            case RouteActionKind.Redirect:
                manager.Stats.Redirect.Increment();
                context.Response.StatusCode = route.Redirect!.StatusCode;
                context.Response.Headers.Location = route.BuildRedirectLocation(request);
                route.ApplyResponseHeaders(context.Response);
                context.Response.ContentLength = 0;
                return;
            case RouteActionKind.NonForwarding:
                await LocalReply.WriteAsync(context, StatusCodes.Status404NotFound, string.Empty);
                return;
        }

        if (choice is not { Name.Length: > 0 })
        {
            manager.Stats.NoCluster.Increment();
            outcome.Flags |= ResponseFlags.NoClusterFound;
            await LocalReply.WriteAsync(context, route.ClusterNotFoundStatus, string.Empty);
            return;
        }

        var rewrite = route.RewriteRequest(request, choice);
        var exchange = new Exchange(
            context,
            manager,
            match.Value,
            rewrite.Authority ?? request.Host.Value ?? string.Empty,
            rewrite.PathAndQuery ?? RequestTarget(request))
        {
            ClusterName = choice.Name,
            Choice = choice,
        };
        route.ApplyRequestHeaders(request, choice);
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
        {
            exchange.Body = new ObservedRequestBody(request.Body);
            request.Body = exchange.Body;
        }

        try
        {
            await upstream.ForwardAsync(exchange, outcome);
        }
        finally
        {
            outcome.Peer = exchange.UpstreamPeer ?? outcome.Peer ?? (manager.Telemetry is { Inbound: false } ? outcome.UpstreamWorkload : null);
            outcome.RequestBytes = exchange.Body?.BytesRead ?? -1;
        }
    }

    /// <summary>The path and query as received (still encoded), which is what goes upstream when nothing rewrites it.</summary>
    internal static string RequestTarget(HttpRequest request)
    {
        var raw = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (raw is { Length: > 0 } && raw[0] == '/')
        {
            return raw;
        }

        return request.PathBase.Add(request.Path).ToUriComponent() + request.QueryString.ToUriComponent();
    }

    private void LogAccess(HttpContext context, HttpManager manager, RequestOutcome outcome, int status, TimeSpan elapsed)
    {
        var level = outcome.Flags == ResponseFlags.None ? LogLevel.Debug : LogLevel.Information;
        if (!_access.IsEnabled(level))
        {
            return;
        }

        var request = context.Request;
        Log.Access(
            _access,
            level,
            request.Method,
            request.Path.Value + request.QueryString.Value,
            request.Protocol,
            status,
            ResponseFlagCodes.Format(outcome.Flags),
            (long)elapsed.TotalMilliseconds,
            outcome.UpstreamHost ?? "-",
            request.Headers["x-request-id"].ToString(),
            request.Host.Value ?? "-",
            outcome.Cluster ?? "-",
            outcome.RouteName ?? "-",
            manager.ListenerName);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, Message = "\"{Method} {Path} {Protocol}\" {Status} {Flags} {DurationMs}ms upstream=\"{UpstreamHost}\" request_id=\"{RequestId}\" authority=\"{Authority}\" cluster=\"{Cluster}\" route=\"{Route}\" listener=\"{Listener}\"")]
        public static partial void Access(ILogger logger, LogLevel level, string method, string path, string protocol, int status, string flags, long durationMs, string upstreamHost, string requestId, string authority, string cluster, string route, string listener);
    }
}

/// <summary>What the access log and stats need to know about how a request ended.</summary>
internal sealed class RequestOutcome
{
    public ResponseFlags Flags { get; set; }

    public string? Cluster { get; set; }

    public string? RouteName { get; set; }

    public string? UpstreamHost { get; set; }

    public int Attempts { get; set; }

    /// <summary>The other side's workload as exchanged metadata names it (the downstream peer inbound, the upstream peer outbound).</summary>
    public Telemetry.PeerMetadata? Peer { get; set; }

    /// <summary>The destination service the cluster's metadata names, once a cluster is chosen.</summary>
    public Telemetry.DestinationService? Service { get; set; }

    public bool UpstreamMutualTls { get; set; }

    /// <summary>The picked endpoint's workload from its EDS metadata (the fallback when the upstream sends no peer metadata).</summary>
    public Telemetry.PeerMetadata? UpstreamWorkload { get; set; }

    /// <summary>Request body bytes that went upstream, or -1 when not counted (the declared length is used then).</summary>
    public long RequestBytes { get; set; } = -1;

    /// <summary>The request's Mixer attributes and check result, when a Mixer filter saw it (reported after the response).</summary>
    public Mixer.MixerRequest? Mixer { get; set; }
}

/// <summary>
/// Envoy's request id and forwarding headers. <c>x-request-id</c> is generated when absent;
/// with use_remote_address (edge proxies, gateways) the peer's address is appended to
/// <c>x-forwarded-for</c> and <c>x-forwarded-proto</c> states the downstream scheme; a sidecar
/// (use_remote_address false) trusts what it received and only fills a missing proto.
/// </summary>
internal static class ForwardingHeaders
{
    public static void Apply(HttpContext context, HttpManager manager, bool tls)
    {
        var headers = context.Request.Headers;
        // Envoy's edge request (use_remote_address, an external peer) gets a fresh id unless preserve_external_request_id; others keep theirs.
        var edge = manager.UseRemoteAddress && !manager.PreserveExternalRequestId && !IsInternal(context.Connection.RemoteIpAddress);
        if (manager.GenerateRequestId && (edge || !headers.ContainsKey("x-request-id")))
        {
            headers["x-request-id"] = RequestIds.Next();
        }

        var scheme = tls ? "https" : "http";
        if (manager.UseRemoteAddress)
        {
            if (context.Connection.RemoteIpAddress is { } remote)
            {
                var address = (remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote).ToString();
                headers["x-forwarded-for"] = headers.TryGetValue("x-forwarded-for", out var existing) && existing.Count > 0 ? $"{existing},{address}" : address;
            }

            headers["x-forwarded-proto"] = scheme;
        }
        else if (!headers.ContainsKey("x-forwarded-proto"))
        {
            headers["x-forwarded-proto"] = scheme;
        }
    }

    /// <summary>Envoy's default internal addresses (no internal_address_config): loopback, RFC 1918 and IPv6 unique local.</summary>
    public static bool IsInternal(System.Net.IPAddress? address)
    {
        if (address == null)
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (System.Net.IPAddress.IsLoopback(address))
        {
            return true;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var length);
        return length == 4
            ? bytes[0] == 10 || (bytes[0] == 172 && (bytes[1] & 0xF0) == 16) || (bytes[0] == 192 && bytes[1] == 168)
            : (bytes[0] & 0xFE) == 0xFC;
    }
}
