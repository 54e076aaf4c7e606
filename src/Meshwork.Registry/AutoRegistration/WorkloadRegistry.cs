using System.Collections.Immutable;
using Meshwork.Registry.Model;

namespace Meshwork.Registry.AutoRegistration;

/// <summary>
/// Workloads that registered themselves by connecting (Istio's WorkloadGroup auto-registration).
/// A proxy's workload joins on its first connection; when its last connection drops it stays for
/// a grace period, then leaves, unless it reconnects first. Time comes from the injected
/// <see cref="TimeProvider"/>, so tests run on a fake clock.
/// </summary>
public sealed class WorkloadRegistry : IDisposable
{
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _gracePeriod;
    private readonly Dictionary<WorkloadKey, Registered> _registered = [];
    private ImmutableArray<Action<WorkloadChange>> _subscribers = [];
    private volatile WorkloadSet _current = WorkloadSet.Empty;
    private bool _disposed;

    public WorkloadRegistry(TimeProvider time, WorkloadRegistryOptions? options = null)
    {
        _time = time;
        _gracePeriod = (options ?? new WorkloadRegistryOptions()).GracePeriod;
        if (_gracePeriod < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _gracePeriod, "the grace period must not be negative");
        }
    }

    public WorkloadSet Current => _current;

    /// <summary>
    /// Calls <paramref name="onChange"/> after every change, outside the registry's lock (so a handler
    /// may read <see cref="Current"/> or register more). Changes made on different threads may arrive
    /// out of order; each carries its own snapshot and <see cref="Current"/> is always the latest.
    /// </summary>
    public IDisposable Subscribe(Action<WorkloadChange> onChange)
    {
        ImmutableInterlocked.Update(ref _subscribers, s => s.Add(onChange));
        return new Subscription(() => ImmutableInterlocked.Update(ref _subscribers, s => s.Remove(onChange)));
    }

    /// <summary>
    /// A proxy connected: registers its workload, or cancels a pending removal and takes the newest
    /// registration. Disposing the returned connection is the disconnection.
    /// </summary>
    public WorkloadConnection Connect(ProxyRegistration registration)
    {
        WorkloadChange? change;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_registered.TryGetValue(registration.Key, out var entry))
            {
                entry = new Registered(registration);
                _registered.Add(registration.Key, entry);
            }

            entry.Connections++;
            entry.CancelRemoval();
            entry.Registration = registration;
            change = PublishLocked();
        }

        Notify(change);
        return new WorkloadConnection(this, registration.Key);
    }

    /// <summary>Records a readiness result for a registered workload; unhealthy workloads back no service. False when it is not registered.</summary>
    public bool ReportHealth(WorkloadKey key, WorkloadHealth health)
    {
        WorkloadChange? change;
        lock (_gate)
        {
            if (!_registered.TryGetValue(key, out var entry))
            {
                return false;
            }

            entry.Health = health;
            change = PublishLocked();
        }

        Notify(change);
        return true;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var entry in _registered.Values)
            {
                entry.CancelRemoval();
            }
        }
    }

    internal void Disconnect(WorkloadKey key)
    {
        WorkloadChange? change = null;
        lock (_gate)
        {
            if (_disposed || !_registered.TryGetValue(key, out var entry) || --entry.Connections > 0)
            {
                return;
            }

            if (_gracePeriod == TimeSpan.Zero)
            {
                _registered.Remove(key);
                change = PublishLocked();
            }
            else
            {
                var generation = ++entry.Generation;
                entry.Removal = _time.CreateTimer(_ => OnGraceExpired(key, generation), null, _gracePeriod, Timeout.InfiniteTimeSpan);
            }
        }

        Notify(change);
    }

    private void OnGraceExpired(WorkloadKey key, long generation)
    {
        WorkloadChange? change;
        lock (_gate)
        {
            // A reconnection (or a newer disconnection) since this timer was set makes it stale.
            if (_disposed || !_registered.TryGetValue(key, out var entry) || entry.Connections > 0 || entry.Generation != generation)
            {
                return;
            }

            entry.CancelRemoval();
            _registered.Remove(key);
            change = PublishLocked();
        }

        Notify(change);
    }

    /// <summary>Builds the next set from the registrations and publishes it when it differs; null when nothing changed.</summary>
    private WorkloadChange? PublishLocked()
    {
        var previous = _current;
        var builder = ImmutableSortedDictionary.CreateBuilder<WorkloadKey, WorkloadInstance>();
        foreach (var (key, entry) in _registered)
        {
            builder.Add(key, entry.Registration.ToWorkload(entry.Health));
        }

        var added = new List<WorkloadKey>();
        var updated = new List<WorkloadKey>();
        foreach (var (key, workload) in builder)
        {
            if (!previous.Workloads.TryGetValue(key, out var before))
            {
                added.Add(key);
            }
            else if (before != workload)
            {
                updated.Add(key);
            }
        }

        var removed = previous.Workloads.Keys.Where(k => !builder.ContainsKey(k)).ToList();
        if (added.Count == 0 && updated.Count == 0 && removed.Count == 0)
        {
            return null;
        }

        var next = new WorkloadSet(previous.Version + 1, builder.ToImmutable());
        _current = next;
        return new WorkloadChange(previous, next, added, updated, removed);
    }

    private void Notify(WorkloadChange? change)
    {
        if (change is null)
        {
            return;
        }

        foreach (var subscriber in _subscribers)
        {
            subscriber(change);
        }
    }

    private sealed class Registered(ProxyRegistration registration)
    {
        public ProxyRegistration Registration { get; set; } = registration;

        public WorkloadHealth Health { get; set; } = WorkloadHealth.Healthy;

        public int Connections { get; set; }

        /// <summary>Counts disconnections, so a removal timer can tell it is stale.</summary>
        public long Generation { get; set; }

        public ITimer? Removal { get; set; }

        public void CancelRemoval()
        {
            Removal?.Dispose();
            Removal = null;
        }
    }

    private sealed class Subscription(Action unsubscribe) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                unsubscribe();
            }
        }
    }
}

/// <summary>One live connection of a proxy; disposing it disconnects (once).</summary>
public sealed class WorkloadConnection : IDisposable
{
    private readonly WorkloadRegistry _registry;
    private int _disposed;

    internal WorkloadConnection(WorkloadRegistry registry, WorkloadKey key)
    {
        _registry = registry;
        Key = key;
    }

    public WorkloadKey Key { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _registry.Disconnect(Key);
        }
    }
}
