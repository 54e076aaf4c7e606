using System.Globalization;
using System.Net;

namespace Meshwork.Proxy.Telemetry.Cel;

/// <summary>
/// Envoy's CEL attributes (request.*, response.*, source.*, destination.*, upstream.*,
/// connection.*, xds.*) and Istio's upstream_peer / downstream_peer read from a finished request's <see cref="AccessLogRecord"/>. An attribute
/// the request does not have (a header that was not sent) is an evaluation error, as in Envoy.
/// </summary>
internal static class CelAttributes
{
    private static readonly Dictionary<string, Func<AccessLogRecord, object?>> Known = new(StringComparer.Ordinal)
    {
        ["request.path"] = r => Header(r.RequestHeader, ":path"),
        ["request.url_path"] = r => Header(r.RequestHeader, ":path") is var path && path.IndexOf('?') is >= 0 and var q ? path[..q] : path,
        ["request.host"] = r => Header(r.RequestHeader, ":authority"),
        ["request.scheme"] = r => Header(r.RequestHeader, ":scheme"),
        ["request.method"] = r => Header(r.RequestHeader, ":method"),
        ["request.referer"] = r => Header(r.RequestHeader, "referer"),
        ["request.useragent"] = r => Header(r.RequestHeader, "user-agent"),
        ["request.id"] = r => Header(r.RequestHeader, "x-request-id"),
        ["request.headers"] = r => r.RequestHeader,
        ["request.protocol"] = r => r.Protocol,
        ["request.duration"] = r => r.Duration,
        ["request.size"] = r => r.BytesReceived,
        ["request.total_size"] = r => r.BytesReceived,
        ["response.code"] = r => (long)r.ResponseCode,
        ["response.code_details"] = r => r.ResponseCodeDetails,
        ["response.grpc_status"] = r => long.TryParse(r.ResponseHeader("grpc-status"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var status) ? status : throw new CelError("no grpc-status"),
        ["response.headers"] = r => r.ResponseHeader,
        ["response.size"] = r => r.BytesSent,
        ["response.total_size"] = r => r.BytesSent,
        ["source.address"] = r => Address(r.DownstreamRemoteAddress),
        ["source.port"] = r => Port(r.DownstreamRemoteAddress),
        ["destination.address"] = r => Address(r.DownstreamLocalAddress),
        ["destination.port"] = r => Port(r.DownstreamLocalAddress),
        ["upstream.address"] = r => Address(Upstream(r)),
        ["upstream.port"] = r => Port(Upstream(r)),
        ["connection.requested_server_name"] = r => r.RequestedServerName ?? string.Empty,
        ["connection.termination_details"] = r => r.ConnectionTerminationDetails,
        ["xds.cluster_name"] = r => r.UpstreamCluster ?? throw new CelError("no upstream cluster"),
        ["xds.route_name"] = r => r.RouteName ?? throw new CelError("no route"),
        // Istio's exchanged peer metadata (filter state wasm.upstream_peer / wasm.downstream_peer):
        // the workload on the other side of the mesh hop, when the exchange named one.
        ["upstream_peer"] = r => r.UpstreamPeer ?? throw new CelError("no upstream peer"),
        ["downstream_peer"] = r => r.DownstreamPeer ?? throw new CelError("no downstream peer"),
    };

    /// <summary>The dotted name of a chain of identifiers (request.headers), or null for anything else.</summary>
    public static string? Dotted(CelNode node) => node switch
    {
        CelIdent ident => ident.Name,
        CelSelect { Operand: var operand, Field: var field } when Dotted(operand) is { } parent => parent + "." + field,
        _ => null,
    };

    public static Func<AccessLogRecord, object?>? Resolve(string dotted) => Known.GetValueOrDefault(dotted);

    public static bool IsMap(string? dotted) => dotted is "request.headers" or "response.headers" or "upstream_peer" or "downstream_peer" or "upstream_peer.labels" or "downstream_peer.labels";

    /// <summary>A field of exchanged peer metadata, by Istio's node metadata names and the short names newer Istio uses.</summary>
    public static object PeerField(PeerMetadata peer, string field) => field switch
    {
        "workload" or "workload_name" or "name" => peer.Workload,
        "namespace" => peer.Namespace,
        "cluster" or "cluster_id" => peer.Cluster,
        "app" => peer.Labels.TryGetValue("app", out var app) ? app : throw new CelError("peer has no app label"),
        "version" => peer.Labels.TryGetValue("version", out var version) ? version : throw new CelError("peer has no version label"),
        "service" or "canonical_service" => peer.CanonicalService,
        "revision" or "canonical_revision" => peer.CanonicalRevision,
        "service_account" => peer.ServiceAccount ?? throw new CelError("peer has no service account"),
        "labels" => peer.Labels,
        _ => throw new CelError($"no such peer field: {field}"),
    };

    private static string Header(Func<string, string?> headers, string name) => headers(name) ?? throw new CelError($"no {name}");

    private static string Address(IPEndPoint? endpoint) => endpoint?.Address.ToString() ?? throw new CelError("no address");

    private static long Port(IPEndPoint? endpoint) => endpoint?.Port ?? throw new CelError("no port");

    private static IPEndPoint? Upstream(AccessLogRecord record) => IPEndPoint.TryParse(record.UpstreamHost ?? string.Empty, out var endpoint) ? endpoint : null;
}
