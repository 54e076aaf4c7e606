using System.Globalization;
using System.Net;

namespace Meshwork.Proxy.Telemetry.Cel;

/// <summary>
/// Envoy's CEL attributes (request.*, response.*, source.*, destination.*, upstream.*,
/// connection.*, xds.*) read from a finished request's <see cref="AccessLogRecord"/>. An attribute
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
    };

    /// <summary>The dotted name of a chain of identifiers (request.headers), or null for anything else.</summary>
    public static string? Dotted(CelNode node) => node switch
    {
        CelIdent ident => ident.Name,
        CelSelect { Operand: var operand, Field: var field } when Dotted(operand) is { } parent => parent + "." + field,
        _ => null,
    };

    public static Func<AccessLogRecord, object?>? Resolve(string dotted) => Known.GetValueOrDefault(dotted);

    public static bool IsMap(string? dotted) => dotted is "request.headers" or "response.headers";

    private static string Header(Func<string, string?> headers, string name) => headers(name) ?? throw new CelError($"no {name}");

    private static string Address(IPEndPoint? endpoint) => endpoint?.Address.ToString() ?? throw new CelError("no address");

    private static long Port(IPEndPoint? endpoint) => endpoint?.Port ?? throw new CelError("no port");

    private static IPEndPoint? Upstream(AccessLogRecord record) => IPEndPoint.TryParse(record.UpstreamHost ?? string.Empty, out var endpoint) ? endpoint : null;
}
