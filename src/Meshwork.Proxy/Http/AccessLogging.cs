using System.Net;
using Meshwork.Proxy.Listeners;
using Meshwork.Proxy.Telemetry;

namespace Meshwork.Proxy.Http;

/// <summary>
/// The HCM's access logs (MeshConfig accessLogFile, Envoy's file logger): the finished request as an
/// <see cref="AccessLogRecord"/> (built once, shared with metric tag overrides), formatted by each
/// configured log on the request's thread and queued to its file. Bytes are the Content-Length each way when one was declared (0 otherwise).
/// </summary>
internal static class AccessLogging
{
    public static void Write(HttpManager manager, AccessLogRecord record)
    {
        foreach (var log in manager.AccessLogs)
        {
            log.Log(record);
        }
    }

    /// <summary>The finished request as access logs and CEL expressions (log filters, metric tag overrides) see it.</summary>
    public static AccessLogRecord Record(HttpContext context, HttpManager manager, HttpConnectionState connection, RequestOutcome outcome, int status, DateTimeOffset start, TimeSpan elapsed)
    {
        var request = context.Request;
        var response = context.Response;
        var inbound = manager.Telemetry?.Inbound;
        return new AccessLogRecord
        {
            StartTime = start,
            RequestHeader = name => name switch
            {
                ":method" => request.Method,
                ":path" => request.Path.Value + request.QueryString.Value,
                ":authority" => request.Host.Value,
                ":scheme" => request.Scheme,
                _ => request.Headers.TryGetValue(name, out var value) ? value.ToString() : null,
            },
            ResponseHeader = name => response.Headers.TryGetValue(name, out var value) ? value.ToString() : null,
            Protocol = request.Protocol,
            ResponseCode = status,
            ResponseFlags = ResponseFlagCodes.Format(outcome.Flags),
            ResponseCodeDetails = outcome.UpstreamHost != null && outcome.Flags == ResponseFlags.None ? "via_upstream" : string.Empty,
            BytesReceived = request.ContentLength ?? 0,
            BytesSent = response.ContentLength ?? 0,
            Duration = elapsed,
            UpstreamHost = outcome.UpstreamHost,
            UpstreamCluster = outcome.Cluster,
            DownstreamLocalAddress = context.Connection.LocalIpAddress is { } local ? new IPEndPoint(Unmapped(local), context.Connection.LocalPort) : null,
            DownstreamRemoteAddress = context.Connection.RemoteIpAddress is { } remote ? new IPEndPoint(Unmapped(remote), context.Connection.RemotePort) : null,
            RequestedServerName = connection.ServerName,
            RouteName = outcome.RouteName,
            DownstreamPeer = inbound == true ? outcome.Peer : null,
            UpstreamPeer = inbound == false ? outcome.Peer : null,
        };
    }

    /// <summary>Envoy prints an IPv4 peer as IPv4, whatever socket family accepted it.</summary>
    private static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
