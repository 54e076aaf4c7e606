using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Meshwork.Proxy.Connections;

/// <summary>What the first bytes of a connection turned out to be.</summary>
public enum ClientHelloStatus
{
    /// <summary>The bytes so far are a prefix of a ClientHello: read more and ask again.</summary>
    NeedMoreData,

    /// <summary>Not a TLS ClientHello (or a malformed one): the connection is raw_buffer, as Envoy's tls_inspector decides.</summary>
    NotTls,

    /// <summary>A complete ClientHello; server name and ALPN are filled in.</summary>
    Tls,

    /// <summary>The ClientHello is larger than <see cref="ClientHelloReader.MaxClientHelloSize"/>: Envoy closes such connections.</summary>
    TooLarge,
}

/// <summary>The outcome of reading a ClientHello: the SNI (null when absent) and the ALPN list the client offered.</summary>
public readonly record struct ClientHello(ClientHelloStatus Status, string? ServerName, IReadOnlyList<string> ApplicationProtocols)
{
    public static ClientHello NeedMoreData { get; } = new(ClientHelloStatus.NeedMoreData, null, []);

    public static ClientHello NotTls { get; } = new(ClientHelloStatus.NotTls, null, []);

    public static ClientHello TooLarge { get; } = new(ClientHelloStatus.TooLarge, null, []);
}

/// <summary>
/// Envoy's tls_inspector: reads the ClientHello at the start of a connection without consuming it,
/// so the filter chain can be chosen by SNI and ALPN before anyone terminates or forwards the TLS.
/// It works on a <see cref="ReadOnlySequence{T}"/> because Kestrel's transport PipeReader hands out
/// exactly that, and it reassembles a ClientHello split over several handshake records. Every length
/// is checked against what is left, so garbage yields NotTls and never an exception.
/// </summary>
public static class ClientHelloReader
{
    /// <summary>Envoy's tls_inspector default max_client_hello_size.</summary>
    public const int MaxClientHelloSize = 16 * 1024;

    private const byte HandshakeRecord = 22;
    private const byte ClientHelloMessage = 1;
    private const int RecordHeaderSize = 5;
    private const int HandshakeHeaderSize = 4;
    private const ushort ServerNameExtension = 0;
    private const ushort AlpnExtension = 16;

    public static ClientHello Read(ReadOnlySpan<byte> bytes) => Read(new ReadOnlySequence<byte>(bytes.ToArray()));

    public static ClientHello Read(ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return ClientHello.NeedMoreData;
        }

        // The handshake bytes of consecutive records, joined; a ClientHello never exceeds the limit plus its header.
        var handshake = ArrayPool<byte>.Shared.Rent(MaxClientHelloSize + HandshakeHeaderSize);
        try
        {
            var reader = new SequenceReader<byte>(bytes);
            var gathered = 0;
            Span<byte> header = stackalloc byte[RecordHeaderSize];
            while (true)
            {
                if (!TryPeekHeader(ref reader, header, out var available))
                {
                    return available > 0 && !PlausibleRecordStart(header[..available], isFirst: gathered == 0) ? ClientHello.NotTls : ClientHello.NeedMoreData;
                }

                if (!PlausibleRecordStart(header, isFirst: gathered == 0))
                {
                    return ClientHello.NotTls;
                }

                var recordLength = BinaryPrimitives.ReadUInt16BigEndian(header[3..]);
                if (recordLength == 0 || recordLength > MaxClientHelloSize + 2048)
                {
                    return ClientHello.NotTls;
                }

                if (gathered + recordLength > handshake.Length)
                {
                    return ClientHello.TooLarge;
                }

                if (reader.Remaining < RecordHeaderSize + recordLength)
                {
                    // Copy what is here so an over-long declared message is detected before waiting for it.
                    reader.Advance(RecordHeaderSize);
                    var partial = (int)reader.Remaining;
                    reader.TryCopyTo(handshake.AsSpan(gathered, partial));
                    return Judge(handshake.AsSpan(0, gathered + partial));
                }

                reader.Advance(RecordHeaderSize);
                reader.TryCopyTo(handshake.AsSpan(gathered, recordLength));
                reader.Advance(recordLength);
                gathered += recordLength;
                var verdict = Judge(handshake.AsSpan(0, gathered));
                if (verdict.Status != ClientHelloStatus.NeedMoreData || reader.End)
                {
                    return verdict;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(handshake);
        }
    }

    private static bool TryPeekHeader(ref SequenceReader<byte> reader, scoped Span<byte> header, out int available)
    {
        available = (int)Math.Min(reader.Remaining, RecordHeaderSize);
        if (available < RecordHeaderSize)
        {
            reader.TryCopyTo(header[..available]);
            return false;
        }

        return reader.TryCopyTo(header);
    }

    /// <summary>A handshake record of TLS 1.x (record version 3.x; a first record may say 3.0 or 3.1, as real clients do).</summary>
    private static bool PlausibleRecordStart(ReadOnlySpan<byte> header, bool isFirst)
    {
        if (header[0] != HandshakeRecord)
        {
            return false;
        }

        if (header.Length > 1 && header[1] != 3)
        {
            return false;
        }

        return header.Length <= 2 || header[2] <= 4 || !isFirst;
    }

    /// <summary>Decides on the handshake bytes gathered so far.</summary>
    private static ClientHello Judge(ReadOnlySpan<byte> handshake)
    {
        if (handshake.Length == 0)
        {
            return ClientHello.NeedMoreData;
        }

        if (handshake[0] != ClientHelloMessage)
        {
            return ClientHello.NotTls;
        }

        if (handshake.Length < HandshakeHeaderSize)
        {
            return ClientHello.NeedMoreData;
        }

        var length = (handshake[1] << 16) | (handshake[2] << 8) | handshake[3];
        if (length > MaxClientHelloSize)
        {
            return ClientHello.TooLarge;
        }

        if (handshake.Length < HandshakeHeaderSize + length)
        {
            return ClientHello.NeedMoreData;
        }

        return ParseBody(handshake.Slice(HandshakeHeaderSize, length));
    }

    private static ClientHello ParseBody(ReadOnlySpan<byte> body)
    {
        var cursor = new SpanCursor(body);

        // client_version(2) random(32) session_id<0..32> cipher_suites<2..2^16-2> compression_methods<1..2^8-1>
        if (!cursor.Skip(2 + 32)
            || !cursor.TryReadVector8(out var sessionId) || sessionId.Length > 32
            || !cursor.TryReadVector16(out var ciphers) || ciphers.Length < 2 || ciphers.Length % 2 != 0
            || !cursor.TryReadVector8(out var compression) || compression.Length < 1)
        {
            return ClientHello.NotTls;
        }

        if (cursor.Remaining == 0)
        {
            return new ClientHello(ClientHelloStatus.Tls, null, []);
        }

        if (!cursor.TryReadVector16(out var extensions) || cursor.Remaining != 0)
        {
            return ClientHello.NotTls;
        }

        string? serverName = null;
        IReadOnlyList<string> protocols = [];
        var extensionCursor = new SpanCursor(extensions);
        while (extensionCursor.Remaining > 0)
        {
            if (!extensionCursor.TryReadUInt16(out var type) || !extensionCursor.TryReadVector16(out var data))
            {
                return ClientHello.NotTls;
            }

            if (type == ServerNameExtension && serverName == null)
            {
                if (!TryReadServerName(data, out serverName))
                {
                    return ClientHello.NotTls;
                }
            }
            else if (type == AlpnExtension && protocols.Count == 0)
            {
                if (!TryReadAlpn(data, out protocols))
                {
                    return ClientHello.NotTls;
                }
            }
        }

        return new ClientHello(ClientHelloStatus.Tls, serverName, protocols);
    }

    /// <summary>RFC 6066 server_name_list: the first host_name entry; a name with bytes outside printable ASCII is refused, as BoringSSL does.</summary>
    private static bool TryReadServerName(ReadOnlySpan<byte> data, out string? serverName)
    {
        serverName = null;
        var cursor = new SpanCursor(data);
        if (!cursor.TryReadVector16(out var list) || cursor.Remaining != 0)
        {
            return false;
        }

        var entries = new SpanCursor(list);
        while (entries.Remaining > 0)
        {
            if (!entries.TryReadByte(out var nameType) || !entries.TryReadVector16(out var name))
            {
                return false;
            }

            if (nameType != 0 || serverName != null)
            {
                continue;
            }

            if (name.Length == 0)
            {
                return false;
            }

            foreach (var b in name)
            {
                if (b is < 0x21 or > 0x7e)
                {
                    return false;
                }
            }

            serverName = Encoding.ASCII.GetString(name);
        }

        return true;
    }

    /// <summary>RFC 7301 ProtocolNameList: non-empty names, in the client's order of preference.</summary>
    private static bool TryReadAlpn(ReadOnlySpan<byte> data, out IReadOnlyList<string> protocols)
    {
        protocols = [];
        var cursor = new SpanCursor(data);
        if (!cursor.TryReadVector16(out var list) || cursor.Remaining != 0 || list.Length == 0)
        {
            return false;
        }

        var names = new List<string>(2);
        var entries = new SpanCursor(list);
        while (entries.Remaining > 0)
        {
            if (!entries.TryReadVector8(out var name) || name.Length == 0)
            {
                return false;
            }

            names.Add(KnownProtocol(name) ?? Encoding.ASCII.GetString(name));
        }

        protocols = names;
        return true;
    }

    /// <summary>The protocols nearly every client offers, as interned strings so they cost nothing per connection.</summary>
    private static string? KnownProtocol(ReadOnlySpan<byte> name) =>
        name.SequenceEqual("h2"u8) ? "h2" : name.SequenceEqual("http/1.1"u8) ? "http/1.1" : null;

    /// <summary>A bounds-checked reader over a span: every read says whether the bytes were there.</summary>
    private ref struct SpanCursor(ReadOnlySpan<byte> span)
    {
        private ReadOnlySpan<byte> _rest = span;

        public readonly int Remaining => _rest.Length;

        public bool Skip(int count)
        {
            if (_rest.Length < count)
            {
                return false;
            }

            _rest = _rest[count..];
            return true;
        }

        public bool TryReadByte(out byte value)
        {
            value = 0;
            if (_rest.Length < 1)
            {
                return false;
            }

            value = _rest[0];
            _rest = _rest[1..];
            return true;
        }

        public bool TryReadUInt16(out ushort value)
        {
            value = 0;
            if (_rest.Length < 2)
            {
                return false;
            }

            value = BinaryPrimitives.ReadUInt16BigEndian(_rest);
            _rest = _rest[2..];
            return true;
        }

        public bool TryReadVector8(out ReadOnlySpan<byte> value)
        {
            value = default;
            return TryReadByte(out var length) && TryTake(length, out value);
        }

        public bool TryReadVector16(out ReadOnlySpan<byte> value)
        {
            value = default;
            return TryReadUInt16(out var length) && TryTake(length, out value);
        }

        private bool TryTake(int length, out ReadOnlySpan<byte> value)
        {
            value = default;
            if (_rest.Length < length)
            {
                return false;
            }

            value = _rest[..length];
            _rest = _rest[length..];
            return true;
        }
    }
}
