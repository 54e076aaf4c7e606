using System.Globalization;
using System.Net;
using Envoy.Config.Core.V3;
using Envoy.Service.Auth.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Proxy.Authorization;
using Meshwork.Proxy.Listeners;
using Meshwork.Proxy.Upstream;

namespace Meshwork.Proxy.Http;

/// <summary>
/// Envoy's ext_authz gRPC client: one unary <c>envoy.service.auth.v3.Authorization/Check</c> over the
/// cluster's HTTP/2 connections, framed by hand (5-byte gRPC prefix) so the proxy needs no gRPC
/// channel per cluster. The CheckRequest carries the peers (addresses, the client's SPIFFE
/// principal), the request (id, method, every header, path, host, scheme, protocol, size) and the
/// body when configured. Status OK allows with the OkHttpResponse's header changes; any other
/// status denies with the DeniedHttpResponse (403 when it names no status); a failed call is an error.
/// </summary>
internal static class ExtAuthzGrpcCheck
{
    private const string Method = "/envoy.service.auth.v3.Authorization/Check";

    public static Task<ExtAuthzAnswer> SendAsync(
        HttpContext context,
        ExtAuthzFilter filter,
        HttpConnectionState connection,
        CheckBody body,
        UpstreamEndpoint endpoint,
        HttpMessageInvoker invoker,
        TimeProvider time,
        CancellationToken cancel) =>
        SendAsync(BuildRequest(context, filter, connection, body, time), filter.Authority, endpoint, invoker, cancel);

    /// <summary>Sends one CheckRequest (an HTTP request's, or a connection's for the network filter) and reads the answer.</summary>
    public static async Task<ExtAuthzAnswer> SendAsync(CheckRequest check, string authority, UpstreamEndpoint endpoint, HttpMessageInvoker invoker, CancellationToken cancel)
    {
        var response = await GrpcUnary.CallAsync(invoker, endpoint.DestinationPrefix + Method, authority, check, CheckResponse.Parser, cancel);
        return response == null ? ExtAuthzAnswer.Failed : Interpret(response);
    }

    /// <summary>The answer a CheckResponse stands for (exposed for tests).</summary>
    internal static ExtAuthzAnswer Interpret(CheckResponse response)
    {
        if (response.Status is null or { Code: 0 })
        {
            var ok = new ExtAuthzAnswer { Verdict = ExtAuthzVerdict.Ok, Status = StatusCodes.Status200OK };
            if (response.OkResponse is { } allowed)
            {
                foreach (var option in allowed.Headers)
                {
                    // append defaults to false here: set (replace) unless the service asks to append.
                    (option.Append == true ? ok.UpstreamAppend : ok.UpstreamSet).Add((option.Header.Key, option.Header.Value));
                }

                ok.UpstreamRemove.AddRange(allowed.HeadersToRemove);
                ok.Client.AddRange(allowed.ResponseHeadersToAdd.Select(h => (h.Header.Key, h.Header.Value)));
            }

            return ok;
        }

        var denied = response.DeniedResponse;
        var answer = new ExtAuthzAnswer
        {
            Verdict = ExtAuthzVerdict.Denied,
            Status = denied?.Status is { Code: > 0 } status ? (int)status.Code : StatusCodes.Status403Forbidden,
            Body = denied == null ? [] : System.Text.Encoding.UTF8.GetBytes(denied.Body),
        };
        if (denied != null)
        {
            answer.Client.AddRange(denied.Headers.Select(h => (h.Header.Key, h.Header.Value)));
        }

        return answer;
    }

    internal static CheckRequest BuildRequest(HttpContext context, ExtAuthzFilter filter, HttpConnectionState connection, CheckBody body, TimeProvider time)
    {
        var request = context.Request;
        var http = new AttributeContext.Types.HttpRequest
        {
            Id = request.Headers["x-request-id"].ToString(),
            Method = request.Method,
            Path = RequestPath.RequestTarget(request),
            Host = request.Host.Value ?? string.Empty,
            Scheme = connection.IsTls ? "https" : "http",
            Protocol = request.Protocol,
            Size = request.ContentLength ?? -1,
        };
        // Envoy's map holds the HTTP/2 pseudo headers too, whatever protocol the client spoke.
        http.Headers[":authority"] = http.Host;
        http.Headers[":method"] = http.Method;
        http.Headers[":path"] = http.Path;
        http.Headers[":scheme"] = http.Scheme;
        foreach (var (name, values) in request.Headers)
        {
            if (!name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                http.Headers[name.ToLower(CultureInfo.InvariantCulture)] = values.ToString();
            }
        }

        if (body.Bytes != null)
        {
            if (filter.PackAsBytes)
            {
                http.RawBody = ByteString.CopyFrom(body.Bytes);
            }
            else
            {
                http.Body = System.Text.Encoding.UTF8.GetString(body.Bytes);
            }

            http.Headers["x-envoy-auth-partial-body"] = body.Partial ? "true" : "false";
        }

        var source = new AttributeContext.Types.Peer { Address = Address(context.Connection.RemoteIpAddress, context.Connection.RemotePort) };
        if (connection.Peer is { } peer)
        {
            source.Principal = peer.Uri ?? string.Empty;
            if (filter.IncludePeerCertificate)
            {
                source.Certificate = peer.UrlEncodedPem;
            }
        }

        return new CheckRequest
        {
            Attributes = new AttributeContext
            {
                Source = source,
                Destination = new AttributeContext.Types.Peer { Address = Address(context.Connection.LocalIpAddress, context.Connection.LocalPort) },
                Request = new AttributeContext.Types.Request { Time = Timestamp.FromDateTimeOffset(time.GetUtcNow()), Http = http },
            },
        };
    }

    internal static Address Address(IPAddress? ip, int port) => new()
    {
        SocketAddress = new Envoy.Config.Core.V3.SocketAddress
        {
            Address = (ip is { IsIPv4MappedToIPv6: true } ? ip.MapToIPv4() : ip)?.ToString() ?? string.Empty,
            PortValue = (uint)port,
        },
    };
}
