using Meshwork.Proxy.Listeners;
using Meshwork.Proxy.Telemetry;
using Microsoft.AspNetCore.Http.Features;

namespace Meshwork.Proxy.Http;

/// <summary>
/// The request path's telemetry steps, in the order a request meets them: the downstream peer's
/// metadata read and removed from the request; this workload's added for the upstream peer (mesh
/// clusters only); the upstream peer's read and removed from the response, and this workload's
/// added for the downstream peer; and, at the request's end, one recording into its series.
/// Nothing here allocates on a request whose peer and label combination were seen before.
/// </summary>
internal static class RequestTelemetry
{
    private const string Header = PeerMetadata.Header;
    private const string IdHeader = PeerMetadata.IdHeader;

    /// <summary>Reads and removes the downstream peer's headers (never passed on, whoever sent them); the peer when this side discovers it.</summary>
    public static PeerMetadata? OnRequest(HttpTelemetryPlan plan, IHeaderDictionary headers) =>
        plan.Exchanges ? Take(plan, headers, plan.DiscoversDownstream) : null;

    /// <summary>This workload's metadata on the request to a mesh cluster (not to one marked external when the filter says so).</summary>
    public static void ToUpstream(HttpTelemetryPlan plan, IHeaderDictionary headers, bool externalCluster)
    {
        if (plan.PropagatesUpstream && !(externalCluster && plan.SkipsExternalClusters))
        {
            headers[Header] = plan.Mesh.LocalHeader;
            headers[IdHeader] = plan.Mesh.LocalId;
        }
    }

    /// <summary>Reads and removes the upstream peer's headers from the response, then adds this workload's for the downstream peer.</summary>
    public static PeerMetadata? OnResponse(HttpTelemetryPlan plan, IHeaderDictionary headers)
    {
        if (!plan.Exchanges)
        {
            return null;
        }

        var peer = Take(plan, headers, plan.DiscoversUpstream);
        ToDownstream(plan, headers);
        return peer;
    }

    /// <summary>Removes both exchange headers; the peer they describe when this side reads them.</summary>
    private static PeerMetadata? Take(HttpTelemetryPlan plan, IHeaderDictionary headers, bool discovers)
    {
        PeerMetadata? peer = null;
        if (headers.TryGetValue(Header, out var value))
        {
            if (discovers && value.Count == 1)
            {
                peer = plan.Mesh.Peer(value[0]!);
            }

            headers.Remove(Header);
        }

        if (headers.ContainsKey(IdHeader))
        {
            headers.Remove(IdHeader);
        }

        return peer;
    }

    /// <summary>This workload's metadata on a response the proxy writes itself (local replies go back to a mesh peer too).</summary>
    public static void ToDownstream(HttpTelemetryPlan plan, IHeaderDictionary headers)
    {
        if (plan.PropagatesDownstream)
        {
            headers[Header] = plan.Mesh.LocalHeader;
            headers[IdHeader] = plan.Mesh.LocalId;
        }
    }

    /// <summary>
    /// Records the finished request into its series (istio_requests_total, duration, sizes); metrics
    /// with tag overrides go to their own series, labelled from the request's <paramref name="record"/>.
    /// </summary>
    public static void Record(HttpTelemetryPlan plan, HttpContext context, HttpConnectionState connection, RequestOutcome outcome, int status, TimeSpan elapsed, AccessLogRecord? record)
    {
        var request = context.Request;
        var response = context.Response;
        var grpc = LocalReply.IsGrpc(request);
        var grpcStatus = grpc ? GrpcStatus(context) : string.Empty;
        var service = outcome.Service ?? (plan.DisableHostHeaderFallback ? DestinationService.Unknown : plan.Mesh.HostService(request.Host.Host));
        var key = plan.Inbound
            ? new HttpSeriesKey(true, outcome.Peer, service, connection.Peer != null, connection.Peer?.Uri, connection.Peer?.LocalUriSans.FirstOrDefault(), grpc, status, grpcStatus, outcome.Flags)
            : new HttpSeriesKey(false, outcome.Peer, service, outcome.UpstreamMutualTls, null, null, grpc, status, grpcStatus, outcome.Flags);
        var requestBytes = outcome.RequestBytes >= 0 ? outcome.RequestBytes : request.ContentLength ?? 0;
        var series = plan.Mesh.HttpSeries(key);
        series.Record(elapsed.TotalMilliseconds, requestBytes, response.ContentLength ?? 0, plan.Dropped);
        if (plan.Overrides.Relabelled != StandardMetric.None && record != null)
        {
            plan.Overrides.RecordRequest(plan.Mesh.Metrics, series.Labels, record, elapsed.TotalMilliseconds, requestBytes, response.ContentLength ?? 0);
        }
    }

    /// <summary>grpc-status from the trailers (or the headers of a trailers-only answer); empty when there is none.</summary>
    private static string GrpcStatus(HttpContext context)
    {
        var trailers = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers;
        if (trailers != null && trailers.TryGetValue("grpc-status", out var value) && value.Count > 0)
        {
            return value[0]!;
        }

        return context.Response.Headers.TryGetValue("grpc-status", out value) && value.Count > 0 ? value[0]! : string.Empty;
    }
}
