using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Meshwork.Meshd.Discovery;

/// <summary>Kestrel's connection buffers for meshd, from <see cref="LargeBlockMemoryPool"/> (registered in place of the default pool).</summary>
public sealed class LargeBlockMemoryPoolFactory(TimeProvider time) : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockMemoryPool(time);
}

/// <summary>
/// Buffers in blocks of <see cref="BlockSize"/> bytes instead of Kestrel's 4 KB. meshd's answers
/// are large and go to every proxy: a route table of 0.7 MB for 1000 services passed gRPC's
/// message pipe, the HTTP/2 frame writer and the socket in about 350 rented and returned 4 KB
/// blocks, per proxy and change; those rents and the per-block steps were about a fifth of meshd's
/// CPU samples in a push, and with 64 KB blocks its CPU per push fell by 40%. Blocks are pinned (sockets write from them) and kept for reuse; a block idle for a
/// whole <see cref="TrimInterval"/> is let go, so the pool shrinks back after a burst such as a
/// thousand proxies connecting.
/// </summary>
public sealed class LargeBlockMemoryPool : MemoryPool<byte>
{
    public const int BlockSize = 64 * 1024;

    public static readonly TimeSpan TrimInterval = TimeSpan.FromSeconds(30);

    private readonly ConcurrentStack<Block> _idle = new();
    private readonly ITimer _trim;
    private int _idleCount;

    /// <summary>The fewest idle blocks since the last trim: that many were not needed during the whole interval.</summary>
    private int _idleLow;

    private volatile bool _disposed;

    public LargeBlockMemoryPool(TimeProvider time)
    {
        _trim = time.CreateTimer(_ => Trim(), null, TrimInterval, TrimInterval);
    }

    public override int MaxBufferSize => BlockSize;

    /// <summary>Blocks kept for reuse now.</summary>
    public int IdleBlocks => Volatile.Read(ref _idleCount);

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        if (_idle.TryPop(out var block))
        {
            var idle = Interlocked.Decrement(ref _idleCount);
            if (idle < Volatile.Read(ref _idleLow))
            {
                Volatile.Write(ref _idleLow, idle);
            }

            block.Rented();
            return block;
        }

        return new Block(this);
    }

    /// <summary>Lets go of the blocks that stayed idle through the whole interval since the last trim.</summary>
    public void Trim()
    {
        var unused = Interlocked.Exchange(ref _idleLow, int.MaxValue);
        for (var i = 0; i < unused && _idle.TryPop(out _); i++)
        {
            Interlocked.Decrement(ref _idleCount);
        }

        Volatile.Write(ref _idleLow, Volatile.Read(ref _idleCount));
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        _trim.Dispose();
        _idle.Clear();
    }

    private void Return(Block block)
    {
        if (_disposed)
        {
            return;
        }

        _idle.Push(block);
        Interlocked.Increment(ref _idleCount);
    }

    private sealed class Block(LargeBlockMemoryPool pool) : IMemoryOwner<byte>
    {
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);
        private int _returned;

        public Memory<byte> Memory => _array;

        public void Rented() => Volatile.Write(ref _returned, 0);

        public void Dispose()
        {
            // Returned once, however often its owner disposes it.
            if (Interlocked.Exchange(ref _returned, 1) == 0)
            {
                pool.Return(block: this);
            }
        }
    }
}
