using Meshwork.Meshd.Discovery;
using Microsoft.Extensions.Time.Testing;

namespace Meshwork.Meshd.Tests;

public sealed class LargeBlockMemoryPoolTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Rent_AfterAReturn_ReusesTheBlock()
    {
        using var pool = new LargeBlockMemoryPool(_time);

        var first = pool.Rent();
        var memory = first.Memory;
        first.Dispose();
        using var second = pool.Rent(4096);

        Assert.Equal(LargeBlockMemoryPool.BlockSize, memory.Length);
        Assert.True(second.Memory.Span == memory.Span, "the returned block was not reused");
        Assert.Equal(0, pool.IdleBlocks);
    }

    [Fact]
    public void Dispose_Twice_ReturnsTheBlockOnce()
    {
        using var pool = new LargeBlockMemoryPool(_time);
        var block = pool.Rent();

        block.Dispose();
        block.Dispose();

        Assert.Equal(1, pool.IdleBlocks);
        using var a = pool.Rent();
        using var b = pool.Rent();
        Assert.False(a.Memory.Span == b.Memory.Span, "one block was handed out twice");
    }

    [Fact]
    public void Rent_LargerThanABlock_Throws()
    {
        using var pool = new LargeBlockMemoryPool(_time);

        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(LargeBlockMemoryPool.BlockSize + 1));
    }

    [Fact]
    public void Trim_LetsGoOnlyOfBlocksIdleForAWholeInterval()
    {
        using var pool = new LargeBlockMemoryPool(_time);
        var blocks = Enumerable.Range(0, 3).Select(_ => pool.Rent()).ToList();
        blocks.ForEach(b => b.Dispose());
        _time.Advance(LargeBlockMemoryPool.TrimInterval);
        Assert.Equal(3, pool.IdleBlocks); // returned during the interval: not idle through it

        // Two of the three are needed during the next interval; the third is not.
        var again = Enumerable.Range(0, 2).Select(_ => pool.Rent()).ToList();
        again.ForEach(b => b.Dispose());
        _time.Advance(LargeBlockMemoryPool.TrimInterval);
        Assert.Equal(2, pool.IdleBlocks);

        _time.Advance(LargeBlockMemoryPool.TrimInterval);
        Assert.Equal(0, pool.IdleBlocks);
    }
}
