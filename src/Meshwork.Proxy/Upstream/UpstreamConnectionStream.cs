using System.Text;

namespace Meshwork.Proxy.Upstream;

/// <summary>
/// The stream under one pooled upstream connection. It counts the connection in the cluster's and
/// the endpoint's stats until the pool closes it, and enforces max_requests_per_connection for
/// HTTP/1.1: the handler has no such limit, so on the connection's last allowed request the
/// stream adds <c>Connection: close</c> to the request head; the server then closes after
/// answering and the pool opens a fresh connection for the next request.
/// </summary>
/// <remarks>
/// A request starts at the first write after a read (or the very first write): HTTP/1.1 on one
/// connection alternates request and response. An <c>Expect: 100-continue</c> exchange looks like
/// two requests, which only closes that connection one request early.
/// </remarks>
internal sealed class UpstreamConnectionStream : Stream
{
    private static readonly byte[] ConnectionClose = Encoding.ASCII.GetBytes("Connection: close\r\n");

    private readonly Stream _inner;
    private readonly ClusterStats _stats;
    private readonly EndpointState? _endpoint;
    private readonly int _maxRequests;
    private int _requests;
    private bool _readSinceWrite = true;
    private int _disposed;

    public UpstreamConnectionStream(Stream inner, ClusterStats stats, EndpointState? endpoint, int maxRequests)
    {
        _inner = inner;
        _stats = stats;
        _endpoint = endpoint;
        _maxRequests = maxRequests;
        Interlocked.Increment(ref stats.UpstreamCxTotal);
        Interlocked.Increment(ref stats.UpstreamCxActive);
        if (endpoint != null)
        {
            Interlocked.Increment(ref endpoint.ActiveConnections);
        }
    }

    public override bool CanRead => _inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => _inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        _readSinceWrite = true;
        return _inner.Read(buffer);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _readSinceWrite = true;
        return _inner.ReadAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (LastRequestStarts() && InsertClose(buffer) is { } rewritten)
        {
            _inner.Write(rewritten);
            return;
        }

        _inner.Write(buffer);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (LastRequestStarts() && InsertClose(buffer.Span) is { } rewritten)
        {
            return _inner.WriteAsync(rewritten, cancellationToken);
        }

        return _inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Closed();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        Closed();
        await _inner.DisposeAsync();
        await base.DisposeAsync();
    }

    /// <summary>True when this write begins the connection's last allowed request.</summary>
    private bool LastRequestStarts()
    {
        if (_maxRequests <= 0 || !_readSinceWrite)
        {
            return false;
        }

        _readSinceWrite = false;
        return ++_requests == _maxRequests;
    }

    /// <summary>The request head with <c>Connection: close</c> after the request line, or null if the line is not in this write.</summary>
    private static byte[]? InsertClose(ReadOnlySpan<byte> head)
    {
        var lineEnd = head.IndexOf("\r\n"u8);
        if (lineEnd < 0)
        {
            return null;
        }

        var split = lineEnd + 2;
        var rewritten = new byte[head.Length + ConnectionClose.Length];
        head[..split].CopyTo(rewritten);
        ConnectionClose.CopyTo(rewritten.AsSpan(split));
        head[split..].CopyTo(rewritten.AsSpan(split + ConnectionClose.Length));
        return rewritten;
    }

    private void Closed()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Interlocked.Decrement(ref _stats.UpstreamCxActive);
        Interlocked.Increment(ref _stats.UpstreamCxDestroy);
        if (_endpoint != null)
        {
            Interlocked.Decrement(ref _endpoint.ActiveConnections);
        }
    }
}
