using Meshwork.Proxy.Http;

namespace Meshwork.Proxy.Tests.Http;

public sealed class RequestIdsTests
{
    [Fact]
    public void Next_GivesDistinctVersion4Uuids_AcrossBufferRefills()
    {
        // 4096 bytes per buffer make 256 ids: 1000 ids cross several refills.
        var ids = Enumerable.Range(0, 1000).Select(_ => RequestIds.Next()).ToList();

        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids, id =>
        {
            Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", id);
            Assert.True(Guid.TryParseExact(id, "D", out _), id);
        });
    }

    [Fact]
    public void Next_OnOtherThreads_DoesNotRepeatThisThreadsIds()
    {
        var here = Enumerable.Range(0, 300).Select(_ => RequestIds.Next()).ToHashSet(StringComparer.Ordinal);
        List<string> there = [];
        var thread = new Thread(() => there = Enumerable.Range(0, 300).Select(_ => RequestIds.Next()).ToList());
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)), "the other thread did not finish");

        Assert.DoesNotContain(there, here.Contains);
        Assert.Equal(300, there.Distinct(StringComparer.Ordinal).Count());
    }
}
