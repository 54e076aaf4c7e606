namespace Meshwork.Pilot.Xds;

/// <summary>
/// Bounds the bytes of xDS responses being written at once, first come first served. The push
/// throttle bounds how many responses are in flight, but a response is serialized whole into the
/// server's buffers before it is sent, and while a thousand sidecars sync, 25 full answers of
/// several megabytes each held more than 100 MB of pinned buffers at the peak. A response larger
/// than the whole budget waits for all of it and then goes alone.
/// </summary>
internal sealed class ByteBudget(long capacity)
{
    private readonly object _gate = new();
    private readonly Queue<Waiter> _waiters = new();
    private long _available = capacity;

    public long Capacity { get; } = capacity;

    /// <summary>Takes <paramref name="bytes"/> (at most the capacity) once they are free and no earlier caller waits.</summary>
    public Task AcquireAsync(long bytes, CancellationToken cancellationToken)
    {
        bytes = Math.Clamp(bytes, 0, Capacity);
        Waiter waiter;
        lock (_gate)
        {
            if (_waiters.Count == 0 && _available >= bytes)
            {
                _available -= bytes;
                return Task.CompletedTask;
            }

            waiter = new Waiter(bytes);
            _waiters.Enqueue(waiter);
        }

        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.Register(() => Cancel(waiter, cancellationToken));
        }

        return waiter.Granted.Task;
    }

    /// <summary>Gives back what <see cref="AcquireAsync"/> took for the same <paramref name="bytes"/>.</summary>
    public void Release(long bytes)
    {
        bytes = Math.Clamp(bytes, 0, Capacity);
        List<Waiter>? granted = null;
        lock (_gate)
        {
            _available += bytes;
            while (_waiters.TryPeek(out var next) && (next.Cancelled || _available >= next.Bytes))
            {
                _waiters.Dequeue();
                if (!next.Cancelled)
                {
                    _available -= next.Bytes;
                    (granted ??= []).Add(next);
                }
            }
        }

        // Continuations run outside the lock.
        foreach (var waiter in granted ?? [])
        {
            waiter.Registration.Dispose();
            waiter.Granted.TrySetResult();
        }
    }

    private void Cancel(Waiter waiter, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (waiter.Granted.Task.IsCompleted || !_waiters.Contains(waiter))
            {
                return;
            }

            waiter.Cancelled = true;
        }

        waiter.Granted.TrySetCanceled(cancellationToken);

        // A cancelled waiter at the head may have held back others that fit now.
        Release(0);
    }

    private sealed class Waiter(long bytes)
    {
        public long Bytes { get; } = bytes;

        public TaskCompletionSource Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Cancelled { get; set; }

        public CancellationTokenRegistration Registration { get; set; }
    }
}
