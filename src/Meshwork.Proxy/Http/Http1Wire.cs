using System.Buffers;
using System.Globalization;
using System.Text;
using Meshwork.Proxy.Upstream;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Meshwork.Proxy.Http;

/// <summary>How the request body goes upstream.</summary>
internal enum Http1RequestBody { None, ContentLength, Chunked }

/// <summary>
/// Bytes on the wire for the proxy's own HTTP/1.1 client: the request head written from Kestrel's
/// parsed request (after the route's edits) into one pooled buffer, and a parsed response head
/// turned into the downstream response's status and headers. Hop-by-hop fields stay on their hop,
/// as the forwarder does on the other path.
/// </summary>
internal static class Http1Wire
{
    // Response field names the downstream headers see most, as the framework's own strings (Kestrel compares those by reference first).
    private static readonly (byte[] Lower, string Name)[] KnownNames = [.. new[]
    {
        HeaderNames.ContentType, HeaderNames.ContentLength, HeaderNames.Date, HeaderNames.Server, HeaderNames.CacheControl,
        HeaderNames.ETag, HeaderNames.LastModified, HeaderNames.Expires, HeaderNames.Vary, HeaderNames.Location,
        HeaderNames.SetCookie, HeaderNames.AcceptRanges, HeaderNames.ContentEncoding, HeaderNames.Age, HeaderNames.Pragma,
        HeaderNames.AccessControlAllowOrigin, HeaderNames.ContentLanguage, HeaderNames.ContentDisposition, HeaderNames.RetryAfter,
        HeaderNames.WWWAuthenticate, HeaderNames.StrictTransportSecurity, HeaderNames.XContentTypeOptions, HeaderNames.XFrameOptions,
        HeaderNames.Link, HeaderNames.ContentRange, HeaderNames.GrpcStatus, HeaderNames.GrpcMessage, HeaderNames.Trailer,
        "x-request-id", "x-envoy-upstream-service-time",
        // A peer sidecar's metadata is the same on every answer: its string is then reused per connection, not decoded anew.
        Telemetry.PeerMetadata.Header, Telemetry.PeerMetadata.IdHeader,
    }.Select(n => (Encoding.ASCII.GetBytes(n.ToLowerInvariant()), n))];

    /// <summary>Writes the request line and fields; returns the length written (the buffer may be replaced by a larger pooled one).</summary>
    public static int WriteRequestHead(ref byte[] buffer, Exchange exchange, bool lastOnConnection, out Http1RequestBody body)
    {
        var request = exchange.Context.Request;
        var w = new HeadWriter(buffer);
        w.Latin1(request.Method);
        w.Bytes(" "u8);
        w.Latin1(exchange.PathAndQuery);
        w.Bytes(" HTTP/1.1\r\nHost: "u8);
        w.Latin1(exchange.Authority);
        w.Bytes("\r\n"u8);
        var attemptCount = exchange.Route.IncludeRequestAttemptCount;
        foreach (var (name, values) in request.Headers)
        {
            if (SkipsHop(name) || name.Equals(HeaderNames.Host, StringComparison.OrdinalIgnoreCase) || name.Equals(HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase)
                || (attemptCount && name.Equals("x-envoy-attempt-count", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            w.Latin1(name);
            w.Bytes(": "u8);
            var separator = name.Equals(HeaderNames.Cookie, StringComparison.OrdinalIgnoreCase) ? "; "u8 : ", "u8;
            for (var i = 0; i < values.Count; i++)
            {
                if (i > 0)
                {
                    w.Bytes(separator);
                }

                w.Latin1(values[i]);
            }

            w.Bytes("\r\n"u8);
        }

        if (attemptCount)
        {
            w.Bytes("x-envoy-attempt-count: "u8);
            w.Number(exchange.Attempt);
            w.Bytes("\r\n"u8);
        }

        body = Http1RequestBody.None;
        if (exchange.Body != null)
        {
            if (request.ContentLength is { } length)
            {
                w.Bytes("Content-Length: "u8);
                w.Number(length);
                w.Bytes("\r\n"u8);
                body = Http1RequestBody.ContentLength;
            }
            else
            {
                w.Bytes("Transfer-Encoding: chunked\r\n"u8);
                body = Http1RequestBody.Chunked;
            }
        }
        else if (request.ContentLength == 0 || HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method))
        {
            // As HttpClient does: methods that expect a body say it is empty.
            w.Bytes("Content-Length: 0\r\n"u8);
        }

        if (lastOnConnection)
        {
            w.Bytes("Connection: close\r\n"u8);
        }

        w.Bytes("\r\n"u8);
        buffer = w.Buffer;
        return w.Length;
    }

    /// <summary>Slots a connection keeps for the last value of each well-known field (see <see cref="CopyFields"/>).</summary>
    public static int KnownFieldCount => KnownNames.Length;

    /// <summary>
    /// Copies the upstream's end-to-end fields into <paramref name="headers"/>. With
    /// <paramref name="lastValues"/> (one slot per well-known name, kept per connection) a value equal
    /// to the one before on that connection — Server, Content-Type, mostly Date — reuses its string.
    /// </summary>
    public static void CopyFields(Http1ResponseHead head, ReadOnlySpan<byte> data, IHeaderDictionary headers, string?[]? lastValues = null)
    {
        for (var i = 0; i < head.FieldCount; i++)
        {
            var nameBytes = head.Name(data, i);
            if (SkipsHop(nameBytes))
            {
                continue;
            }

            var known = Known(nameBytes);
            var name = known >= 0 ? KnownNames[known].Name : Encoding.ASCII.GetString(nameBytes);
            var valueBytes = head.Value(data, i);
            string value;
            if (known >= 0 && lastValues != null)
            {
                value = lastValues[known] is { } last && SameLatin1(last, valueBytes) ? last : Encoding.Latin1.GetString(valueBytes);
                lastValues[known] = value;
            }
            else
            {
                value = Encoding.Latin1.GetString(valueBytes);
            }

            headers[name] = headers.TryGetValue(name, out var existing) ? StringValues.Concat(existing, value) : new StringValues(value);
        }
    }

    private static bool SameLatin1(string text, ReadOnlySpan<byte> bytes)
    {
        if (text.Length != bytes.Length)
        {
            return false;
        }

        for (var i = 0; i < bytes.Length; i++)
        {
            if (text[i] != bytes[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The value of field <paramref name="lowerName"/> as a string, or null (made only when present).</summary>
    public static string? FieldValue(Http1ResponseHead head, ReadOnlySpan<byte> data, ReadOnlySpan<byte> lowerName)
    {
        var index = head.Find(data, lowerName);
        return index < 0 ? null : Encoding.Latin1.GetString(head.Value(data, index));
    }

    private static int Known(ReadOnlySpan<byte> name)
    {
        for (var i = 0; i < KnownNames.Length; i++)
        {
            var lower = KnownNames[i].Lower;
            if (lower.Length == name.Length && Ascii.EqualsIgnoreCase(name, lower))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool SkipsHop(string name) => name.Length > 0 && (name[0] == ':' || name.Length switch
    {
        2 => name.Equals("TE", StringComparison.OrdinalIgnoreCase),
        5 => name.Equals("Close", StringComparison.OrdinalIgnoreCase),
        6 => name.Equals(HeaderNames.Expect, StringComparison.OrdinalIgnoreCase),
        7 => name.Equals(HeaderNames.Upgrade, StringComparison.OrdinalIgnoreCase),
        10 => name.Equals(HeaderNames.Connection, StringComparison.OrdinalIgnoreCase) || name.Equals(HeaderNames.KeepAlive, StringComparison.OrdinalIgnoreCase),
        14 => name.Equals("HTTP2-Settings", StringComparison.OrdinalIgnoreCase),
        16 => name.Equals(HeaderNames.ProxyConnection, StringComparison.OrdinalIgnoreCase),
        17 => name.Equals(HeaderNames.TransferEncoding, StringComparison.OrdinalIgnoreCase),
        _ => false,
    });

    private static bool SkipsHop(ReadOnlySpan<byte> name) => name.Length switch
    {
        2 => Ascii.EqualsIgnoreCase(name, "te"u8),
        5 => Ascii.EqualsIgnoreCase(name, "close"u8),
        7 => Ascii.EqualsIgnoreCase(name, "upgrade"u8) || Ascii.EqualsIgnoreCase(name, "alt-svc"u8),
        10 => Ascii.EqualsIgnoreCase(name, "connection"u8) || Ascii.EqualsIgnoreCase(name, "keep-alive"u8),
        14 => Ascii.EqualsIgnoreCase(name, "http2-settings"u8),
        16 => Ascii.EqualsIgnoreCase(name, "proxy-connection"u8),
        17 => Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8),
        _ => false,
    };

    /// <summary>Appends to a pooled buffer, trading it for a larger pooled one when full.</summary>
    private ref struct HeadWriter(byte[] buffer)
    {
        public byte[] Buffer = buffer;
        public int Length;

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            Ensure(bytes.Length);
            bytes.CopyTo(Buffer.AsSpan(Length));
            Length += bytes.Length;
        }

        public void Latin1(string? text)
        {
            if (string.IsNullOrEmpty(text))
            {
                return;
            }

            Ensure(text.Length);
            Length += Encoding.Latin1.GetBytes(text, Buffer.AsSpan(Length));
        }

        public void Number(long value)
        {
            Ensure(20);
            value.TryFormat(Buffer.AsSpan(Length), out var written, default, CultureInfo.InvariantCulture);
            Length += written;
        }

        private void Ensure(int more)
        {
            if (Length + more <= Buffer.Length)
            {
                return;
            }

            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(Buffer.Length * 2, Length + more));
            Buffer.AsSpan(0, Length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = larger;
        }
    }
}
