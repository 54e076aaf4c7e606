using System.Net.Sockets;

namespace Meshwork.Proxy.Upstream;

/// <summary>
/// One plaintext HTTP/1.1 connection of an <see cref="Http1Pool"/>: the socket, a read buffer
/// that outlives each exchange (so the response head and a small body usually arrive in one
/// receive), and what the pool needs to decide reuse (request count, age, idle time).
/// </summary>
internal sealed class Http1Connection
{
    /// <summary>The read buffer's first size; it grows (up to the head limit) only for larger response heads.</summary>
    public const int InitialBufferSize = 8 * 1024;

    private readonly ConnectionAccounting _accounting;
    private int _closed;

    public Http1Connection(Socket socket, ConnectionAccounting accounting, long createdTimestamp)
    {
        Socket = socket;
        _accounting = accounting;
        CreatedTimestamp = createdTimestamp;
        Buffer = new byte[InitialBufferSize];
    }

    public Socket Socket { get; }

    /// <summary>The response head (or trailers) being parsed, reused for every exchange on this connection.</summary>
    public Http1ResponseHead Head { get; } = new();

    /// <summary>The last value seen per well-known response field, so an unchanged value costs no new string.</summary>
    public string?[]? LastFieldValues { get; set; }

    /// <summary>Bytes received and not yet consumed are <c>Buffer[Start..End]</c>.</summary>
    public byte[] Buffer { get; private set; }

    public int Start { get; set; }

    public int End { get; set; }

    public int Buffered => End - Start;

    public long CreatedTimestamp { get; }

    public long IdleSinceTimestamp { get; set; }

    /// <summary>Requests started on this connection (max_requests_per_connection counts these).</summary>
    public int Requests { get; set; }

    /// <summary>The managed thread its last receive completed on after waiting: its socket engine's event thread when completions run inline (0 before that).</summary>
    public int EventThread { get; set; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Moves unread bytes to the front and grows the buffer when it is full, up to <paramref name="limit"/> bytes; false when at the limit.</summary>
    public bool MakeRoom(int limit)
    {
        if (Start > 0)
        {
            Buffer.AsSpan(Start, End - Start).CopyTo(Buffer);
            End -= Start;
            Start = 0;
        }

        if (End < Buffer.Length)
        {
            return true;
        }

        if (Buffer.Length >= limit)
        {
            return false;
        }

        var larger = new byte[Math.Min(limit, Buffer.Length * 2)];
        Buffer.AsSpan(0, End).CopyTo(larger);
        Buffer = larger;
        return true;
    }

    /// <summary>Closes the socket once (also what a timeout or a downstream abort calls to end pending I/O).</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _accounting.Closed();
        Socket.Dispose();
    }
}
