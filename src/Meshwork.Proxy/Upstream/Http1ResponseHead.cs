using System.Buffers;
using System.Buffers.Text;

namespace Meshwork.Proxy.Upstream;

/// <summary>How far a parse got: more bytes needed, done, or bytes no HTTP/1.x server should send.</summary>
internal enum Http1Parse { Incomplete, Complete, Malformed }

/// <summary>
/// An HTTP/1.x response head (or a chunked body's trailer block) parsed in place: the status and
/// the framing facts the exchange needs, and each field as offsets into the bytes parsed, so
/// strings are made only for the fields that reach the downstream response. Reused per connection.
/// Strict where framing is at stake (Content-Length, line endings, folding), as request smuggling
/// and response splitting live there; a malformed head fails the try like a reset.
/// </summary>
internal sealed class Http1ResponseHead
{
    private int[] _fields = new int[4 * 24];

    public int Status { get; private set; }

    /// <summary>The server spoke HTTP/1.0: the connection closes after the response unless it said keep-alive.</summary>
    public bool Http10 { get; private set; }

    /// <summary>-1 when the response has no Content-Length.</summary>
    public long ContentLength { get; private set; }

    public bool Chunked { get; private set; }

    /// <summary>A Transfer-Encoding other than chunked last: the body runs to the end of the connection.</summary>
    public bool OtherTransferEncoding { get; private set; }

    public bool ConnectionClose { get; private set; }

    public bool ConnectionKeepAlive { get; private set; }

    /// <summary>Bytes the head took, through its empty line.</summary>
    public int Length { get; private set; }

    public int FieldCount { get; private set; }

    /// <summary>Whether the connection may carry another exchange after this response's body.</summary>
    public bool KeepsConnection => !ConnectionClose && (!Http10 || ConnectionKeepAlive);

    public ReadOnlySpan<byte> Name(ReadOnlySpan<byte> data, int field) => data.Slice(_fields[field * 4], _fields[(field * 4) + 1]);

    public ReadOnlySpan<byte> Value(ReadOnlySpan<byte> data, int field) => data.Slice(_fields[(field * 4) + 2], _fields[(field * 4) + 3]);

    /// <summary>Index of the first field named <paramref name="lowerName"/> (ASCII, lower case), or -1.</summary>
    public int Find(ReadOnlySpan<byte> data, ReadOnlySpan<byte> lowerName)
    {
        for (var i = 0; i < FieldCount; i++)
        {
            if (System.Text.Ascii.EqualsIgnoreCase(Name(data, i), lowerName))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Parses a status line and fields from the start of <paramref name="data"/>.</summary>
    public Http1Parse ParseHead(ReadOnlySpan<byte> data)
    {
        Reset();
        var lineEnd = data.IndexOf((byte)'\n');
        if (lineEnd < 0)
        {
            return Http1Parse.Incomplete;
        }

        var line = TrimCr(data[..lineEnd]);

        // HTTP/1.x SP 3DIGIT [SP reason]
        if (line.Length < 12 || !line.StartsWith("HTTP/1."u8) || line[8] != (byte)' ' || (line.Length > 12 && line[12] != (byte)' ')
            || !Utf8Parser.TryParse(line.Slice(9, 3), out int status, out var used) || used != 3 || status < 100)
        {
            return Http1Parse.Malformed;
        }

        if (line[7] is not ((byte)'0' or (byte)'1'))
        {
            return Http1Parse.Malformed;
        }

        Status = status;
        Http10 = line[7] == (byte)'0';
        return ParseFields(data, lineEnd + 1);
    }

    /// <summary>Parses a field block (a chunked body's trailers) from the start of <paramref name="data"/>.</summary>
    public Http1Parse ParseTrailers(ReadOnlySpan<byte> data)
    {
        Reset();
        return ParseFields(data, 0);
    }

    private void Reset()
    {
        Status = 0;
        Http10 = false;
        ContentLength = -1;
        Chunked = false;
        OtherTransferEncoding = false;
        ConnectionClose = false;
        ConnectionKeepAlive = false;
        Length = 0;
        FieldCount = 0;
    }

    private Http1Parse ParseFields(ReadOnlySpan<byte> data, int position)
    {
        while (true)
        {
            var lineEnd = data[position..].IndexOf((byte)'\n');
            if (lineEnd < 0)
            {
                return Http1Parse.Incomplete;
            }

            var line = TrimCr(data.Slice(position, lineEnd));
            if (line.Length == 0)
            {
                Length = position + lineEnd + 1;
                return Http1Parse.Complete;
            }

            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || !IsToken(line[..colon]))
            {
                // Also rejects obs-fold (a line starting with whitespace) and whitespace before the colon.
                return Http1Parse.Malformed;
            }

            var valueStart = colon + 1;
            var value = line[valueStart..];
            var leading = value.Length - value.TrimStart(" \t"u8).Length;
            value = value.Trim(" \t"u8);
            if (value.IndexOfAny((byte)'\r', (byte)0) >= 0 || !Record(line[..colon], value))
            {
                return Http1Parse.Malformed;
            }

            AddField(position, colon, position + valueStart + leading, value.Length);
            position += lineEnd + 1;
        }
    }

    /// <summary>Notes what a field says about framing; false when it makes the framing ambiguous.</summary>
    private bool Record(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (System.Text.Ascii.EqualsIgnoreCase(name, "content-length"u8))
        {
            if (!Utf8Parser.TryParse(value, out long length, out var used) || used != value.Length || length < 0 || value[0] is (byte)'+' or (byte)'-')
            {
                return false;
            }

            if (ContentLength >= 0 && ContentLength != length)
            {
                return false;
            }

            ContentLength = length;
        }
        else if (System.Text.Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
        {
            var comma = value.LastIndexOf((byte)',');
            var last = value[(comma + 1)..].Trim(" \t"u8);
            Chunked = System.Text.Ascii.EqualsIgnoreCase(last, "chunked"u8);
            OtherTransferEncoding = !Chunked;
        }
        else if (System.Text.Ascii.EqualsIgnoreCase(name, "connection"u8))
        {
            foreach (var range in value.Split((byte)','))
            {
                var token = value[range].Trim(" \t"u8);
                ConnectionClose |= System.Text.Ascii.EqualsIgnoreCase(token, "close"u8);
                ConnectionKeepAlive |= System.Text.Ascii.EqualsIgnoreCase(token, "keep-alive"u8);
            }
        }

        return true;
    }

    private void AddField(int nameStart, int nameLength, int valueStart, int valueLength)
    {
        var at = FieldCount * 4;
        if (at + 4 > _fields.Length)
        {
            Array.Resize(ref _fields, _fields.Length * 2);
        }

        _fields[at] = nameStart;
        _fields[at + 1] = nameLength;
        _fields[at + 2] = valueStart;
        _fields[at + 3] = valueLength;
        FieldCount++;
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) => line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;

    // RFC 9110 token characters: visible ASCII except delimiters.
    private static readonly SearchValues<byte> TokenBytes = SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    private static bool IsToken(ReadOnlySpan<byte> name) => !name.ContainsAnyExcept(TokenBytes);

    /// <summary>
    /// A chunk-size line (hex size, optional extensions) at the start of <paramref name="data"/>;
    /// <paramref name="consumed"/> includes its line end.
    /// </summary>
    public static Http1Parse ParseChunkSize(ReadOnlySpan<byte> data, out long size, out int consumed)
    {
        size = 0;
        consumed = 0;
        var lineEnd = data.IndexOf((byte)'\n');
        if (lineEnd < 0)
        {
            return data.Length > 1024 ? Http1Parse.Malformed : Http1Parse.Incomplete;
        }

        var line = TrimCr(data[..lineEnd]);
        var semicolon = line.IndexOf((byte)';');
        var digits = (semicolon >= 0 ? line[..semicolon] : line).TrimEnd(" \t"u8);
        if (digits.Length is 0 or > 15 || !Utf8Parser.TryParse(digits, out size, out var used, 'X') || used != digits.Length)
        {
            return Http1Parse.Malformed;
        }

        consumed = lineEnd + 1;
        return Http1Parse.Complete;
    }
}
