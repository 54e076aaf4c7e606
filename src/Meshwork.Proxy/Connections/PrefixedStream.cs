namespace Meshwork.Proxy.Connections;

/// <summary>
/// A stream whose first bytes were already read (to inspect them) replayed before the rest: for
/// callers that peeked at a plain Stream rather than a PipeReader. Writes and half-close go to the
/// inner stream unchanged.
/// </summary>
public sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream inner) : ReadFilteringStream(inner)
{
    private ReadOnlyMemory<byte> _prefix = prefix;

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_prefix.IsEmpty)
        {
            return Inner.ReadAsync(buffer, cancellationToken);
        }

        return ValueTask.FromResult(TakePrefix(buffer.Span));
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        _prefix.IsEmpty ? Inner.Read(buffer, offset, count) : TakePrefix(buffer.AsSpan(offset, count));

    private int TakePrefix(Span<byte> destination)
    {
        var count = Math.Min(destination.Length, _prefix.Length);
        _prefix.Span[..count].CopyTo(destination);
        _prefix = _prefix[count..];
        return count;
    }
}
