using System.Buffers.Binary;
using System.Net;
using Google.Protobuf;

namespace Meshwork.Proxy.Http;

/// <summary>
/// One unary gRPC call over a cluster's HTTP/2 connections, framed by hand (the 5-byte gRPC prefix),
/// so filters that call a service (ext_authz, Mixer) need no gRPC channel per cluster. Null when the
/// answer is not an OK status with one uncompressed message.
/// </summary>
internal static class GrpcUnary
{
    public static async Task<T?> CallAsync<T>(HttpMessageInvoker invoker, string url, string? authority, IMessage request, MessageParser<T> parser, CancellationToken cancel)
        where T : class, IMessage<T>
    {
        var payload = request.ToByteArray();
        var framed = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(framed, 5);
        using var call = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(framed),
        };
        // Without validation: Istio's authorities (outbound_.9000_._.host) have underscores, which the typed setter refuses.
        // Without one, the endpoint's address is the authority.
        if (authority != null)
        {
            call.Headers.TryAddWithoutValidation("Host", authority);
        }

        call.Headers.TryAddWithoutValidation("te", "trailers");
        call.Content.Headers.TryAddWithoutValidation("content-type", "application/grpc");
        using var response = await invoker.SendAsync(call, cancel);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancel);
        if (response.StatusCode != HttpStatusCode.OK || Header(response, "grpc-status") != "0" || bytes.Length < 5)
        {
            return null;
        }

        var length = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(1));
        return bytes[0] != 0 || length > bytes.Length - 5 ? null : parser.ParseFrom(bytes, 5, length);
    }

    /// <summary>A header or trailer (a trailers-only answer puts grpc-status in the headers).</summary>
    private static string? Header(HttpResponseMessage response, string name) =>
        response.TrailingHeaders.NonValidated.TryGetValues(name, out var trailer) ? trailer.ToString()
        : response.Headers.NonValidated.TryGetValues(name, out var header) ? header.ToString()
        : null;
}
