using System.IO.Pipelines;

namespace Meshwork.Proxy.Connections;

/// <summary>
/// A Kestrel transport (IDuplexPipe) as one read/write Stream, for SslStream and the TCP proxy.
/// Reads see every byte the pipe holds, including those the TLS inspector peeked at without
/// consuming. Shutting the write half completes the PipeWriter, which Kestrel turns into a FIN.
/// </summary>
public sealed class DuplexPipeStream : Stream, IHalfClosableStream
{
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly Stream _reader;
    private readonly Stream _writer;
    private int _writeShut;

    public DuplexPipeStream(IDuplexPipe transport)
    {
        _input = transport.Input;
        _output = transport.Output;
        _reader = _input.AsStream(leaveOpen: true);
        _writer = _output.AsStream(leaveOpen: true);
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _reader.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _reader.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => _reader.Read(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _writer.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _writer.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => _writer.Write(buffer, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => _writer.FlushAsync(cancellationToken);

    public override void Flush() => _writer.Flush();

    public async ValueTask ShutdownWriteAsync()
    {
        if (Interlocked.Exchange(ref _writeShut, 1) == 0)
        {
            await _output.CompleteAsync().ConfigureAwait(false);
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        await _input.CompleteAsync().ConfigureAwait(false);
        await ShutdownWriteAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _input.Complete();
            if (Interlocked.Exchange(ref _writeShut, 1) == 0)
            {
                _output.Complete();
            }
        }

        base.Dispose(disposing);
    }
}
