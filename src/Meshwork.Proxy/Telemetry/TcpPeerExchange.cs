using System.Buffers.Binary;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Proxy.Connections;

namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// Istio's TCP metadata exchange (the <c>istio.metadata_exchange</c> network filter), used when a
/// connection's ALPN is <c>istio-peer-exchange</c>: each side writes, ahead of its own bytes, an
/// 8-byte header (magic 0x3D230467 and the length, both big-endian) and a google.protobuf.Any of a
/// Struct holding its node metadata (<c>x-envoy-peer-metadata</c>) and node id
/// (<c>x-envoy-peer-metadata-id</c>), and strips the other side's before relaying. A stream that does
/// not start with the magic is passed on untouched (the peer has no exchange filter), as Envoy does.
/// </summary>
internal static class TcpPeerExchange
{
    public const string FilterName = "istio.metadata_exchange";
    public const string Protocol = "istio-peer-exchange";
    public const uint Magic = 0x3D230467;
    private const int HeaderLength = 8;

    /// <summary>Larger announcements are not metadata: the stream is passed on as it came.</summary>
    private const int MaxDataLength = 64 * 1024;

    private const string StructTypeUrl = "type.googleapis.com/google.protobuf.Struct";

    /// <summary>This workload's announcement (built once per proxy).</summary>
    public static byte[] Preamble(PeerMetadata local, string nodeId)
    {
        var data = new Struct { Fields = { ["x-envoy-peer-metadata"] = Value.ForStruct(local.ToStruct()) } };
        if (nodeId.Length > 0)
        {
            data.Fields["x-envoy-peer-metadata-id"] = Value.ForString(nodeId);
        }

        var any = new Any { TypeUrl = StructTypeUrl, Value = data.ToByteString() }.ToByteArray();
        var preamble = new byte[HeaderLength + any.Length];
        BinaryPrimitives.WriteUInt32BigEndian(preamble, Magic);
        BinaryPrimitives.WriteUInt32BigEndian(preamble.AsSpan(4), (uint)any.Length);
        any.CopyTo(preamble, HeaderLength);
        return preamble;
    }

    /// <summary>
    /// Reads the peer's announcement from the start of <paramref name="stream"/>: the peer it names
    /// (null when there was none or it was not valid) and the bytes read that belong to the stream's
    /// data (everything read when the magic did not match; nothing otherwise).
    /// </summary>
    public static async ValueTask<(PeerMetadata? Peer, byte[] Data)> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[HeaderLength];
        var got = await ReadUpToAsync(stream, header, cancellationToken).ConfigureAwait(false);
        if (got < HeaderLength || BinaryPrimitives.ReadUInt32BigEndian(header) != Magic)
        {
            return (null, header[..got]);
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
        if (length > MaxDataLength)
        {
            return (null, header);
        }

        var data = new byte[length];
        var read = await ReadUpToAsync(stream, data, cancellationToken).ConfigureAwait(false);
        if (read < data.Length)
        {
            return (null, []);
        }

        return (Parse(data), []);
    }

    /// <summary>The peer an announcement's Any names, or null when it is not Istio's encoding.</summary>
    internal static PeerMetadata? Parse(byte[] data)
    {
        try
        {
            var any = Any.Parser.ParseFrom(data);
            if (any.TypeUrl != StructTypeUrl)
            {
                return null;
            }

            var fields = Struct.Parser.ParseFrom(any.Value).Fields;
            return fields.TryGetValue("x-envoy-peer-metadata", out var metadata) && metadata.StructValue is { } node ? PeerMetadata.FromStruct(node) : null;
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    private static async ValueTask<int> ReadUpToAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }
}

/// <summary>
/// A relayed stream whose first read takes the peer's exchange announcement off the front (and
/// reports the peer), so the bytes relayed onward are exactly the application's.
/// </summary>
internal sealed class PeerExchangeStream(Stream inner, Action<PeerMetadata?> peerKnown) : ReadFilteringStream(inner)
{
    private byte[]? _pending;
    private int _pendingOffset;
    private bool _started;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_started)
        {
            _started = true;
            var (peer, data) = await TcpPeerExchange.ReadAsync(Inner, cancellationToken).ConfigureAwait(false);
            peerKnown(peer);
            _pending = data.Length > 0 ? data : null;
        }

        if (_pending != null)
        {
            var count = Math.Min(buffer.Length, _pending.Length - _pendingOffset);
            _pending.AsMemory(_pendingOffset, count).CopyTo(buffer);
            _pendingOffset += count;
            if (_pendingOffset == _pending.Length)
            {
                _pending = null;
            }

            return count;
        }

        return await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
    }
}
