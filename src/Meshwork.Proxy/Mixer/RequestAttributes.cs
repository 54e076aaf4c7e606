using System.Globalization;
using Meshwork.Proxy.Http;
using Meshwork.Proxy.Listeners;
using Microsoft.AspNetCore.WebUtilities;

namespace Meshwork.Proxy.Mixer;

/// <summary>
/// The attributes Istio's Mixer filter sends for an inbound request (its attributes_builder): the
/// destination as Pilot described it, what a client proxy forwarded in <c>x-istio-attributes</c>,
/// the source from the connection (address, mTLS identity) and the exchanged peer metadata (workload,
/// namespace, labels), the request itself (<c>request.*</c>), and after the response the
/// <c>response.*</c> values the report carries.
/// </summary>
internal static class RequestAttributes
{
    public static Dictionary<string, object> ForCheck(HttpContext context, HttpConnectionState connection, MixerFilterPlan plan, MixerServicePlan service, RequestOutcome outcome, DateTimeOffset now)
    {
        var request = context.Request;
        var attributes = new Dictionary<string, object>(48, StringComparer.Ordinal);
        if (!plan.IgnoreForwardedAttributes && AttributeValues.Forwarded(request.Headers[AttributeValues.ForwardHeader].ToString()) is { } forwarded)
        {
            foreach (var (name, value) in forwarded)
            {
                attributes[name] = value;
            }
        }

        // What Pilot knows about the destination wins over anything forwarded.
        foreach (var (name, value) in service.Attributes)
        {
            attributes[name] = value;
        }

        Source(attributes, context, connection, outcome);
        var target = RequestPath.RequestTarget(request);
        var mark = target.IndexOf('?', StringComparison.Ordinal);
        var host = request.Host.Value ?? string.Empty;
        var scheme = connection.IsTls ? "https" : "http";
        var headers = new Dictionary<string, string>(request.Headers.Count + 4, StringComparer.Ordinal)
        {
            // Envoy's header map holds the HTTP/2 pseudo headers too, whatever protocol the client spoke.
            [":authority"] = host,
            [":method"] = request.Method,
            [":path"] = target,
            [":scheme"] = scheme,
        };
        foreach (var (name, values) in request.Headers)
        {
            if (!name.Equals("Host", StringComparison.OrdinalIgnoreCase) && !name.Equals(AttributeValues.ForwardHeader, StringComparison.OrdinalIgnoreCase))
            {
                headers[name.ToLowerInvariant()] = values.ToString();
            }
        }

        attributes["request.headers"] = headers;
        attributes["request.host"] = host;
        attributes["request.method"] = request.Method;
        attributes["request.path"] = target;
        attributes["request.url_path"] = mark < 0 ? target : target[..mark];
        attributes["request.scheme"] = scheme;
        attributes["request.time"] = now;
        if (mark >= 0)
        {
            var query = QueryHelpers.ParseQuery(target[mark..]);
            attributes["request.query_params"] = (IReadOnlyDictionary<string, string>)query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        }

        if (headers.TryGetValue("x-request-id", out var id))
        {
            attributes["request.id"] = id;
        }

        if (headers.TryGetValue("user-agent", out var agent))
        {
            attributes["request.useragent"] = agent;
        }

        if (headers.TryGetValue("referer", out var referer))
        {
            attributes["request.referer"] = referer;
        }

        if (request.ContentLength is { } size)
        {
            attributes["request.size"] = size;
        }

        attributes["context.protocol"] = request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true ? "grpc" : "http";
        attributes["context.time"] = now;
        return attributes;
    }

    /// <summary>The check attributes plus what the response and the check said, for Report.</summary>
    public static void AddResponse(Dictionary<string, object> attributes, HttpContext context, int status, TimeSpan elapsed, DateTimeOffset now, MixerRequest state)
    {
        attributes["response.code"] = (long)status;
        attributes["response.duration"] = elapsed;
        attributes["response.time"] = now;
        if (context.Response.ContentLength is { } size)
        {
            attributes["response.size"] = size;
        }

        attributes["check.cache_hit"] = state.CheckCacheHit;
        attributes["quota.cache_hit"] = state.QuotaCacheHit;
        if (state.Error is { } error)
        {
            attributes["check.error_code"] = (long)error.Code;
            attributes["check.error_message"] = error.Message;
        }
    }

    private static void Source(Dictionary<string, object> attributes, HttpContext context, HttpConnectionState connection, RequestOutcome outcome)
    {
        if (context.Connection.RemoteIpAddress is { } ip)
        {
            attributes["source.ip"] = AttributeValues.IpBytes(ip);
            attributes["source.port"] = (long)context.Connection.RemotePort;
        }

        attributes["connection.mtls"] = connection.Peer != null;
        if (connection.ServerName is { Length: > 0 } sni)
        {
            attributes["connection.requested_server_name"] = sni;
        }

        if (connection.Peer?.Principal is { Length: > 0 } principal)
        {
            // Istio 1.4: source.principal and source.user are the peer's SPIFFE identity without the scheme.
            attributes["source.principal"] = principal;
            attributes["source.user"] = principal;
            var ns = principal.IndexOf("/ns/", StringComparison.Ordinal);
            if (ns >= 0)
            {
                var rest = principal[(ns + 4)..];
                var end = rest.IndexOf('/');
                attributes.TryAdd("source.namespace", end < 0 ? rest : rest[..end]);
            }
        }

        if (outcome.Peer is { } peer)
        {
            attributes["source.namespace"] = peer.Namespace;
            attributes["source.name"] = peer.Workload;
            attributes["source.workload.name"] = peer.Workload;
            attributes["source.workload.namespace"] = peer.Namespace;
            attributes.TryAdd("source.uid", string.Create(CultureInfo.InvariantCulture, $"kubernetes://{peer.Workload}.{peer.Namespace}"));
            attributes["source.labels"] = peer.Labels;
        }
    }
}
