using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Meshwork.Proxy.Runtime;
using Meshwork.Proxy.Upstream;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace Meshwork.Proxy.Http;

/// <summary>
/// The router's upstream half: circuit breaker → load-balancer pick → forward → classify → retry
/// with jittered backoff, within the route's timeout and each try's timeout, and Envoy's answer when
/// it all fails (503 UF/UO/UH/UC, 504 UT). A retry happens only while nothing has reached the
/// client and no byte of the request body has gone upstream.
/// </summary>
internal sealed class UpstreamCaller(DataPlane plane, IHttpForwarder forwarder, TimeProvider time, Func<double> random, MirrorSender mirrors)
{
    // The forwarder's own inactivity timeout is off (a day): Envoy's timeouts are the route's and each try's.
    private static readonly ForwarderRequestConfig Http11 = new() { ActivityTimeout = TimeSpan.FromDays(1), Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
    private static readonly ForwarderRequestConfig Http2 = new() { ActivityTimeout = TimeSpan.FromDays(1), Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };

    internal enum Failure
    {
        None,
        ConnectFailure,
        Reset,
        RefusedStream,
        PerTryTimeout,
        RouteTimeout,
        Downstream,
        ResponseStarted,
    }

    public ValueTask ForwardAsync(Exchange exchange, RequestOutcome outcome)
    {
        var chosen = mirrors.Choose(exchange.Route.Mirrors);
        return chosen.Count == 0 ? CallAsync(exchange, outcome) : MirrorAndCallAsync(exchange, outcome, chosen);
    }

    private async ValueTask MirrorAndCallAsync(Exchange exchange, RequestOutcome outcome, IReadOnlyList<Routing.MirrorPolicy> chosen)
    {
        var context = exchange.Context;
        if (exchange.Body == null)
        {
            mirrors.Send(context, exchange.Authority, exchange.PathAndQuery, chosen, null, bodyTooLarge: false);
            await CallAsync(exchange, outcome);
            return;
        }

        exchange.Body.Capture(MirrorSender.MaxMirroredBody);
        try
        {
            await CallAsync(exchange, outcome);
        }
        finally
        {
            mirrors.Send(context, exchange.Authority, exchange.PathAndQuery, chosen, exchange.Body.Captured, exchange.Body.CaptureOverflowed);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask CallAsync(Exchange exchange, RequestOutcome outcome)
    {
        var context = exchange.Context;
        var route = exchange.Route;
        if (!plane.Clusters.TryGet(exchange.ClusterName, out var cluster))
        {
            exchange.Manager.Stats.NoCluster.Increment();
            outcome.Flags |= ResponseFlags.NoClusterFound;
            await LocalReply.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, string.Empty);
            return;
        }

        if (exchange.Manager.Telemetry is { } telemetry)
        {
            outcome.Service = cluster.Model.Service;
            RequestTelemetry.ToUpstream(telemetry, context.Request.Headers, cluster.Model.MeshExternal);
        }

        var retry = route.RetryPolicy;
        var maxAttempts = retry != null && retry.IsRetriableRequest(context.Request) ? 1 + retry.NumRetries : 1;
        string? setCookie = null;
        var hash = route.HashPolicy?.ComputeHash(context.Request, context.Connection.RemoteIpAddress, out setCookie);
        exchange.SetCookie = setCookie;
        // Only ORIGINAL_DST clusters pick by the request's host; HostString.Host is a new string whenever a port follows it.
        var host = context.Request.Host;
        var originalHost = cluster.Model.Discovery == UpstreamDiscovery.OriginalDst ? host.Host : null;
        var originalPort = host.Port ?? (context.Request.IsHttps ? 443 : 80);
        using var routeTimeout = route.Timeouts.Timeout is { } limit && limit > TimeSpan.Zero ? new CancellationTokenSource(limit, time) : null;
        List<UpstreamEndpoint>? tried = null;
        var requestConfig = cluster.HttpVersion(DownstreamVersion(context.Request)).Version.Major >= 2 ? Http2 : Http11;
        for (var attempt = 1; ; attempt++)
        {
            outcome.Attempts = attempt;
            if (!cluster.TryStartRequest(out var lease))
            {
                outcome.Flags |= ResponseFlags.UpstreamOverflow;
                await LocalReply.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, LocalReply.ResetBeforeHeaders("overflow", attempt > 1));
                return;
            }

            Failure failure;
            UpstreamEndpoint? endpoint;
            using (lease)
            {
                endpoint = cluster.Pick(new PickContext(hash, tried, originalHost, originalPort));
                if (endpoint == null)
                {
                    outcome.Flags |= ResponseFlags.NoHealthyUpstream;
                    await LocalReply.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, LocalReply.NoHealthyUpstream);
                    return;
                }

                outcome.UpstreamHost = endpoint.Address;
                outcome.UpstreamMutualTls = endpoint.Transport.IsTls;
                outcome.UpstreamWorkload = endpoint.Workload;
                exchange.BeginAttempt(attempt, attempt < maxAttempts, cluster);
                using var perTry = retry?.PerTryTimeout is { } perTryLimit && perTryLimit > TimeSpan.Zero
                    ? CancellationTokenSource.CreateLinkedTokenSource(routeTimeout?.Token ?? CancellationToken.None)
                    : null;
                perTry?.CancelAfter(retry!.PerTryTimeout!.Value);
                var token = perTry?.Token ?? routeTimeout?.Token ?? CancellationToken.None;
                if (endpoint.Transport.Invoker is not { } invoker)
                {
                    // e.g. ISTIO_MUTUAL before the workload has its certificate: a connection failure, as Envoy reports a TLS context without secrets.
                    endpoint.ReportOutcome(UpstreamOutcome.ConnectFailure);
                    outcome.Flags |= ResponseFlags.UpstreamConnectionFailure;
                    await LocalReply.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, LocalReply.ResetBeforeHeaders("connection failure, transport failure reason: " + endpoint.Transport.UnavailableReason, attempt > 1));
                    return;
                }

                using (endpoint.StartRequest())
                {
                    if (requestConfig == Http11 && endpoint.Http1Pool is { } pool && !IsUpgrade(context))
                    {
                        failure = Classify(await Http1Client.SendAsync(exchange, pool, token), context, routeTimeout, perTry);
                    }
                    else
                    {
                        var error = await forwarder.SendAsync(context, endpoint.DestinationPrefix, invoker, requestConfig, exchange, token);
                        failure = Classify(error, context, routeTimeout, perTry);
                    }
                }

                endpoint.ReportOutcome(failure switch
                {
                    Failure.None or Failure.ResponseStarted when exchange.UpstreamStatus > 0 => UpstreamOutcome.FromStatus(exchange.UpstreamStatus),
                    Failure.ConnectFailure => UpstreamOutcome.ConnectFailure,
                    Failure.PerTryTimeout or Failure.RouteTimeout => UpstreamOutcome.Timeout,
                    Failure.Downstream => UpstreamOutcome.Success,
                    _ => UpstreamOutcome.Reset,
                });
                CountAttempt(cluster.Stats, exchange.UpstreamStatus, failure);
            }

            if (failure == Failure.None && !exchange.RetryRequested)
            {
                if (exchange.RetryExhausted)
                {
                    outcome.Flags |= ResponseFlags.UpstreamRetryLimitExceeded;
                }
                else if (attempt > 1)
                {
                    Interlocked.Increment(ref cluster.Stats.UpstreamRqRetrySuccess);
                }

                return;
            }

            if (failure == Failure.Downstream)
            {
                exchange.EndRetry();
                outcome.Flags |= ResponseFlags.DownstreamConnectionTermination;
                return;
            }

            if (failure == Failure.ResponseStarted || context.Response.HasStarted)
            {
                // Headers are out: Envoy can only reset the stream.
                outcome.Flags |= failure == Failure.RouteTimeout ? ResponseFlags.UpstreamRequestTimeout : ResponseFlags.UpstreamConnectionTermination;
                exchange.EndRetry();

                context.Abort();
                return;
            }

            var retriable = exchange.RetryRequested || (retry != null && failure switch
            {
                Failure.ConnectFailure => retry.ShouldRetryConnectFailure(),
                Failure.Reset => retry.ShouldRetryReset(),
                Failure.RefusedStream => retry.ShouldRetryRefusedStream(),
                Failure.PerTryTimeout => retry.ShouldRetryReset(),
                _ => false,
            });
            if (retriable && exchange.TryReserveRetry())
            {
                if (retry!.AvoidPreviousHosts)
                {
                    (tried ??= []).Add(endpoint);
                }

                context.Features.Set<IForwarderErrorFeature>(null);
                context.Response.Clear();
                try
                {
                    await Task.Delay(retry.Backoff(attempt, random()), time, routeTimeout?.Token ?? context.RequestAborted);
                }
                catch (OperationCanceledException) when (routeTimeout?.IsCancellationRequested == true)
                {
                    exchange.EndRetry();
                    outcome.Flags |= ResponseFlags.UpstreamRequestTimeout;
                    await LocalReply.WriteAsync(context, StatusCodes.Status504GatewayTimeout, LocalReply.RequestTimeout);
                    return;
                }

                exchange.EndRetry();
                continue;
            }

            if (retriable && exchange.BodyReplayable)
            {
                // It wanted a retry and none was left.
                outcome.Flags |= ResponseFlags.UpstreamRetryLimitExceeded;
            }

            await ReplyFailureAsync(context, failure, attempt > 1, outcome);
            return;
        }
    }

    private static Task ReplyFailureAsync(HttpContext context, Failure failure, bool retried, RequestOutcome outcome)
    {
        switch (failure)
        {
            case Failure.RouteTimeout or Failure.PerTryTimeout:
                outcome.Flags |= ResponseFlags.UpstreamRequestTimeout;
                return LocalReply.WriteAsync(context, StatusCodes.Status504GatewayTimeout, LocalReply.RequestTimeout);
            case Failure.ConnectFailure:
                outcome.Flags |= ResponseFlags.UpstreamConnectionFailure;
                return LocalReply.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, LocalReply.ResetBeforeHeaders("remote connection failure", retried));
            case Failure.RefusedStream:
                outcome.Flags |= ResponseFlags.UpstreamRemoteReset;
                return LocalReply.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, LocalReply.ResetBeforeHeaders("remote refused stream reset", retried));
            default:
                outcome.Flags |= ResponseFlags.UpstreamConnectionTermination;
                return LocalReply.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, LocalReply.ResetBeforeHeaders("connection termination", retried));
        }
    }

    private static Failure Classify(ForwarderError error, HttpContext context, CancellationTokenSource? routeTimeout, CancellationTokenSource? perTry)
    {
        if (error == ForwarderError.None)
        {
            return Failure.None;
        }

        if (context.RequestAborted.IsCancellationRequested || error is ForwarderError.RequestBodyClient or ForwarderError.ResponseBodyClient or ForwarderError.UpgradeRequestClient or ForwarderError.UpgradeResponseClient)
        {
            return Failure.Downstream;
        }

        if (routeTimeout?.IsCancellationRequested == true)
        {
            return Failure.RouteTimeout;
        }

        if (perTry?.IsCancellationRequested == true)
        {
            return context.Response.HasStarted ? Failure.ResponseStarted : Failure.PerTryTimeout;
        }

        if (error is ForwarderError.ResponseBodyDestination or ForwarderError.ResponseBodyCanceled or ForwarderError.UpgradeResponseDestination or ForwarderError.UpgradeRequestDestination)
        {
            return Failure.ResponseStarted;
        }

        var exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
        return Describe(exception);
    }

    /// <summary>The proxy's own HTTP/1.1 client's outcome, classified in the same order as the forwarder's errors.</summary>
    internal static Failure Classify(Http1Outcome outcome, HttpContext context, CancellationTokenSource? routeTimeout, CancellationTokenSource? perTry)
    {
        if (outcome == Http1Outcome.Done)
        {
            return Failure.None;
        }

        if (context.RequestAborted.IsCancellationRequested || outcome == Http1Outcome.Downstream)
        {
            return Failure.Downstream;
        }

        if (routeTimeout?.IsCancellationRequested == true)
        {
            return Failure.RouteTimeout;
        }

        if (perTry?.IsCancellationRequested == true)
        {
            return context.Response.HasStarted ? Failure.ResponseStarted : Failure.PerTryTimeout;
        }

        return outcome switch
        {
            Http1Outcome.ConnectFailure => Failure.ConnectFailure,
            Http1Outcome.ResetAfterResponse => Failure.ResponseStarted,
            _ => Failure.Reset,
        };
    }

    /// <summary>Upgrades (websocket) and CONNECT need the forwarder's tunnelling, so they keep the other path.</summary>
    private static bool IsUpgrade(HttpContext context) =>
        HttpMethods.IsConnect(context.Request.Method)
        || context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest == true
        || context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect == true;

    /// <summary>What went wrong below HTTP: a refused or failed connect (UF), a refused HTTP/2 stream, or a reset on an open connection (UC).</summary>
    internal static Failure Describe(Exception? exception)
    {
        for (var e = exception; e != null; e = e.InnerException)
        {
            switch (e)
            {
                case HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError }:
                    return Failure.ConnectFailure;
                case HttpProtocolException { ErrorCode: 0x7 }:
                    return Failure.RefusedStream;
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostNotFound }:
                    return Failure.ConnectFailure;
            }
        }

        return Failure.Reset;
    }

    private static Version DownstreamVersion(HttpRequest request) =>
        HttpProtocol.IsHttp2(request.Protocol) || HttpProtocol.IsHttp3(request.Protocol) ? HttpVersion.Version20 : HttpVersion.Version11;

    private static void CountAttempt(ClusterStats stats, int status, Failure failure)
    {
        if (status > 0)
        {
            stats.RecordResponse(status);
        }

        switch (failure)
        {
            case Failure.RouteTimeout:
                Interlocked.Increment(ref stats.UpstreamRqTimeout);
                break;
            case Failure.PerTryTimeout:
                Interlocked.Increment(ref stats.UpstreamRqPerTryTimeout);
                break;
        }
    }
}
