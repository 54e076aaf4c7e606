using Meshwork.Pilot.Xds;

namespace Meshwork.Pilot.Tests.Xds;

public class ByteBudgetTests
{
    [Fact]
    public async Task Acquire_WithinTheBudget_IsImmediate_AndOverItWaitsForARelease()
    {
        var budget = new ByteBudget(100);
        await budget.AcquireAsync(60, CancellationToken.None);
        var second = budget.AcquireAsync(60, CancellationToken.None);
        Assert.False(second.IsCompleted);

        budget.Release(60);
        await second.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Waiters_AreServedInOrder_AndALargerThanBudgetResponseGoesAlone()
    {
        var budget = new ByteBudget(100);
        await budget.AcquireAsync(100, CancellationToken.None);
        var huge = budget.AcquireAsync(5_000, CancellationToken.None);
        var small = budget.AcquireAsync(1, CancellationToken.None);

        budget.Release(100);
        await huge.WaitAsync(TimeSpan.FromSeconds(10));

        // The small one came later: it waits for the huge one to give the whole budget back.
        Assert.False(small.IsCompleted);
        budget.Release(5_000);
        await small.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task CancelledWaiter_LeavesTheQueue_AndThoseBehindItProceed()
    {
        var budget = new ByteBudget(100);
        await budget.AcquireAsync(90, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var big = budget.AcquireAsync(50, cancel.Token);
        var small = budget.AcquireAsync(10, CancellationToken.None);
        Assert.False(small.IsCompleted);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => big);
        await small.WaitAsync(TimeSpan.FromSeconds(10));

        // Nothing was lost: after both releases the whole budget is free again.
        budget.Release(90);
        budget.Release(10);
        await budget.AcquireAsync(100, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
    }
}
