using System.Net.Security;
using System.Text;

namespace Meshwork.Proxy.Upstream;

/// <summary>
/// Counts one upstream connection in the cluster's and the endpoint's stats from connect until
/// the pool closes it (exactly once, however the stream is disposed).
/// </summary>
internal sealed class ConnectionAccounting
{
    private readonly ClusterStats _stats;
    private readonly EndpointState? _endpoint;
    private int _closed;

    public ConnectionAccounting(ClusterStats stats, EndpointState? endpoint)
    {
        _stats = stats;
        _endpoint = endpoint;
        Interlocked.Increment(ref stats.UpstreamCxTotal);
        Interlocked.Increment(ref stats.UpstreamCxActive);
        if (endpoint != null)
        {
            Interlocked.Increment(ref endpoint.ActiveConnections);
        }
    }

    public void Closed()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
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

/// <summary>
/// max_requests_per_connection for HTTP/1.1, which SocketsHttpHandler has no setting for: on the
/// connection's last allowed request, <c>Connection: close</c> is added to the request head, so
/// the server closes after answering and the pool opens a fresh connection for the next request.
/// A request starts at the first write after a read (or the very first write), since HTTP/1.1
/// alternates request and response on a connection; an <c>Expect: 100-continue</c> exchange looks
/// like two requests, which only retires that connection one request early.
/// </summary>
internal sealed class Http1RequestLimit(int maxRequests)
{
    private static readonly byte[] ConnectionClose = Encoding.ASCII.GetBytes("Connection: close\r\n");

    private int _requests;
    private bool _readSinceWrite = true;

    public void OnRead() => _readSinceWrite = true;

    /// <summary>The bytes to write instead of <paramref name="data"/>, or null to write it as is.</summary>
    public byte[]? Rewrite(ReadOnlySpan<byte> data)
    {
        if (!_readSinceWrite)
        {
            return null;
        }

        _readSinceWrite = false;
        if (++_requests != maxRequests)
        {
            return null;
        }

        var lineEnd = data.IndexOf("\r\n"u8);
        if (lineEnd < 0)
        {
            return null;
        }

        var split = lineEnd + 2;
        var rewritten = new byte[data.Length + ConnectionClose.Length];
        data[..split].CopyTo(rewritten);
        ConnectionClose.CopyTo(rewritten.AsSpan(split));
        data[split..].CopyTo(rewritten.AsSpan(split + ConnectionClose.Length));
        return rewritten;
    }
}

/// <summary>A plaintext pooled connection: accounting plus the HTTP/1.1 request limit.</summary>
internal sealed class UpstreamConnectionStream(Stream inner, ConnectionAccounting accounting, Http1RequestLimit? limit) : Stream
{
    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        limit?.OnRead();
        return inner.Read(buffer);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        limit?.OnRead();
        return inner.ReadAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (limit?.Rewrite(buffer) is { } rewritten)
        {
            inner.Write(rewritten);
            return;
        }

        inner.Write(buffer);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(limit?.Rewrite(buffer.Span) is { } rewritten ? rewritten : buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            accounting.Closed();
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        accounting.Closed();
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>
/// A TLS pooled connection. It must be an SslStream: SocketsHttpHandler uses an SslStream that the
/// connect callback returns as the connection's TLS (reading its ALPN to choose HTTP/2) instead of
/// adding its own, which is how the cluster, not the request, decides SNI and certificate checks
/// while <c>https</c> still goes on the wire as the scheme. Overrides add the accounting and the
/// HTTP/1.1 request limit on the plaintext side.
/// </summary>
internal sealed class UpstreamSslStream(Stream inner, ConnectionAccounting accounting, Http1RequestLimit? limit) : SslStream(inner, leaveInnerStreamOpen: false)
{
    public override int Read(byte[] buffer, int offset, int count)
    {
        limit?.OnRead();
        return base.Read(buffer, offset, count);
    }

    public override int Read(Span<byte> buffer)
    {
        limit?.OnRead();
        return base.Read(buffer);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        limit?.OnRead();
        return base.ReadAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        limit?.OnRead();
        return base.ReadAsync(buffer, offset, count, cancellationToken);
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        if (limit?.Rewrite(buffer.AsSpan(offset, count)) is { } rewritten)
        {
            base.Write(rewritten, 0, rewritten.Length);
            return;
        }

        base.Write(buffer, offset, count);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (limit?.Rewrite(buffer) is { } rewritten)
        {
            base.Write(rewritten);
            return;
        }

        base.Write(buffer);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        base.WriteAsync(limit?.Rewrite(buffer.Span) is { } rewritten ? rewritten : buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            accounting.Closed();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        accounting.Closed();
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
