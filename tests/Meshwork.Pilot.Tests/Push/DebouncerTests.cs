using Meshwork.Pilot.Push;
using Microsoft.Extensions.Time.Testing;

namespace Meshwork.Pilot.Tests.Push;

public sealed class DebouncerTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly List<PushRequest> _pushed = [];
    private readonly Debouncer _debouncer;
    private TaskCompletionSource? _gate;

    public DebouncerTests()
    {
        _debouncer = new Debouncer(
            async request =>
            {
                lock (_pushed)
                {
                    _pushed.Add(request);
                }

                if (_gate != null)
                {
                    await _gate.Task;
                }
            },
            _clock);
    }

    public void Dispose() => _debouncer.Dispose();

    private PushRequest Config(string key) => PushRequest.ForConfig([key], _clock.GetUtcNow());

    [Fact]
    public void Enqueue_QuietPeriodPasses_PushesOnceMerged()
    {
        _debouncer.Enqueue(Config("VirtualService/a/x"));
        _clock.Advance(TimeSpan.FromMilliseconds(50));
        _debouncer.Enqueue(Config("VirtualService/a/y"));
        _clock.Advance(TimeSpan.FromMilliseconds(99));
        Assert.Empty(_pushed);

        _clock.Advance(TimeSpan.FromMilliseconds(1));

        var push = Assert.Single(_pushed);
        Assert.Equal(["VirtualService/a/x", "VirtualService/a/y"], push.ConfigsUpdated.Order());
        Assert.Equal(2, push.Reasons[PushReason.Config]);
        Assert.True(push.Full);
    }

    [Fact]
    public void Enqueue_ContinuousEvents_PushAtTheMaximumDelay()
    {
        for (var i = 0; i < 200; i++)
        {
            _debouncer.Enqueue(Config($"VirtualService/a/v{i}"));
            _clock.Advance(TimeSpan.FromMilliseconds(60));
        }

        // 200 events 60 ms apart never leave 100 ms of quiet, but 10 s after the first one a push must happen.
        Assert.Single(_pushed);
        Assert.Equal(167, _pushed[0].ConfigsUpdated.Count);
    }

    [Fact]
    public void Enqueue_DuringAPush_IsPushedAfterIt()
    {
        _gate = new TaskCompletionSource();
        _debouncer.Enqueue(Config("VirtualService/a/x"));
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Single(_pushed);

        _debouncer.Enqueue(Config("VirtualService/a/y"));
        _clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Single(_pushed);

        _gate.SetResult();
        SpinWait.SpinUntil(
            () =>
            {
                _clock.Advance(TimeSpan.FromMilliseconds(1));
                lock (_pushed)
                {
                    return _pushed.Count == 2;
                }
            },
            TimeSpan.FromSeconds(5));

        Assert.Equal(2, _pushed.Count);
        Assert.Equal(["VirtualService/a/y"], _pushed[1].ConfigsUpdated);
    }

    [Fact]
    public void Merge_EndpointOnlyRequests_StayIncremental()
    {
        var merged = PushRequest.ForEndpoints(["a.ns.svc.cluster.local"], _clock.GetUtcNow())
            .Merge(PushRequest.ForEndpoints(["b.ns.svc.cluster.local"], _clock.GetUtcNow()));

        Assert.False(merged.Full);
        Assert.Equal(2, merged.EndpointsUpdated.Count);
    }

    [Fact]
    public void Merge_FullEverythingWithNamedConfig_StaysEverything()
    {
        var everything = new PushRequest { Full = true, Start = _clock.GetUtcNow() };

        var merged = everything.Merge(Config("VirtualService/a/x"));

        Assert.True(merged.Full);
        Assert.Empty(merged.ConfigsUpdated);
    }
}
