namespace Meshwork.Pilot.Push;

/// <summary>
/// Istio's push debounce: events merge, and a push fires once no event has come for the quiet
/// period (100 ms) or the first unpushed event is older than the maximum delay (10 s). Only one
/// push runs at a time; events that arrive during it are pushed after it, merged.
/// </summary>
public sealed class Debouncer : IDisposable
{
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _quiet;
    private readonly TimeSpan _max;
    private readonly Func<PushRequest, Task> _push;
    private readonly ITimer _timer;
    private PushRequest? _pending;
    private DateTimeOffset _first;
    private DateTimeOffset _last;
    private bool _pushing;
    private bool _disposed;

    public Debouncer(Func<PushRequest, Task> push, TimeProvider? time = null, TimeSpan? quiet = null, TimeSpan? max = null)
    {
        _push = push;
        _time = time ?? TimeProvider.System;
        _quiet = quiet ?? TimeSpan.FromMilliseconds(100);
        _max = max ?? TimeSpan.FromSeconds(10);
        _timer = _time.CreateTimer(_ => OnTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Number of pushes started; events merged into one push count once.</summary>
    public long Pushes { get; private set; }

    public void Enqueue(PushRequest request)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var now = _time.GetUtcNow();
            if (_pending == null)
            {
                _pending = request;
                _first = now;
            }
            else
            {
                _pending = _pending.Merge(request);
            }

            _last = now;
            if (!_pushing)
            {
                Schedule(now);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer.Dispose();
        }
    }

    private void Schedule(DateTimeOffset now)
    {
        var due = Min(_last + _quiet, _first + _max) - now;
        _timer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
    }

    private void OnTimer()
    {
        PushRequest request;
        lock (_gate)
        {
            if (_disposed || _pending == null || _pushing)
            {
                return;
            }

            var now = _time.GetUtcNow();
            if (now - _last < _quiet && now - _first < _max)
            {
                Schedule(now);
                return;
            }

            request = _pending;
            _pending = null;
            _pushing = true;
            Pushes++;
        }

        _ = RunAsync(request);
    }

    private async Task RunAsync(PushRequest request)
    {
        try
        {
            await _push(request).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _pushing = false;
                if (_pending != null && !_disposed)
                {
                    Schedule(_time.GetUtcNow());
                }
            }
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a <= b ? a : b;
}
