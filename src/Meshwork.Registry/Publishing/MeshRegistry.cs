using Meshwork.Config.Store;
using Meshwork.Registry.AutoRegistration;
using Meshwork.Registry.Model;
using Meshwork.Registry.ServiceEntries;

namespace Meshwork.Registry.Publishing;

/// <summary>
/// The live registry: combines the latest config and the auto-registered workloads into immutable
/// <see cref="RegistrySnapshot"/>s, and tells subscribers what each one changed, keeping endpoint
/// churn apart from service churn. Readers take <see cref="Current"/> and never lock.
/// (Not named Registry: inside any Meshwork.* namespace that name would bind to the namespace.)
/// </summary>
public sealed class MeshRegistry : IDisposable
{
    private readonly object _gate = new();
    private readonly WorkloadRegistry _workloads;
    private readonly IDisposable _workloadSubscription;
    private readonly List<Action<RegistryChange>> _subscribers = [];
    private ConfigSnapshot _config = ConfigSnapshot.Empty;
    private long _workloadVersion;
    private volatile RegistrySnapshot _current = RegistrySnapshot.Empty;

    public MeshRegistry(WorkloadRegistry workloads)
    {
        _workloads = workloads;
        _workloadSubscription = workloads.Subscribe(change => OnWorkloadsChanged(change.Current.Version));
        OnWorkloadsChanged(workloads.Current.Version);
    }

    public RegistrySnapshot Current => _current;

    /// <summary>Calls <paramref name="onChange"/> after every publication that changed something, in publication order.</summary>
    public IDisposable Subscribe(Action<RegistryChange> onChange)
    {
        lock (_gate)
        {
            _subscribers.Add(onChange);
        }

        return new Subscription(this, onChange);
    }

    /// <summary>Takes a new config snapshot; publishes when the services or endpoints it yields differ.</summary>
    public RegistryChange UpdateConfig(ConfigSnapshot config)
    {
        lock (_gate)
        {
            _config = config;
            return RebuildLocked();
        }
    }

    /// <summary>
    /// Applies the store's current config now and every config it publishes later, until disposed. A
    /// change of no kind the registry reads (a VirtualService, say) is kept for the next rebuild
    /// without converting every ServiceEntry again, which at 1000 services cost more than the push.
    /// </summary>
    public IDisposable Follow(ConfigStore store)
    {
        var subscription = store.Subscribe(change =>
        {
            if (change.Added.Concat(change.Updated).Concat(change.Removed).Any(k => ServiceEntryConverter.InputKinds.Contains(k.Kind)))
            {
                UpdateConfig(change.Current);
            }
            else
            {
                lock (_gate)
                {
                    _config = change.Current;
                }
            }
        });
        UpdateConfig(store.Current);
        return subscription;
    }

    public void Dispose() => _workloadSubscription.Dispose();

    /// <summary>
    /// Rebuilds unless a rebuild since <paramref name="version"/> was published already covered it:
    /// when many proxies connect at once their changes queue on the lock, and the first rebuild reads
    /// the latest set, so the rest have nothing left to do (one conversion of every ServiceEntry per
    /// connect made a thousand connects quadratic). On return the registry holds the change either way.
    /// </summary>
    private void OnWorkloadsChanged(long version)
    {
        lock (_gate)
        {
            // Workload changes may be delivered out of order; rebuilding from the latest set makes that harmless.
            if (version > _workloadVersion)
            {
                RebuildLocked();
            }
        }
    }

    private RegistryChange RebuildLocked()
    {
        var workloads = _workloads.Current;
        _workloadVersion = workloads.Version;
        var previous = _current;
        var content = ServiceEntryConverter.Convert(_config, workloads.All);
        var change = RegistryChange.Between(previous, RegistrySnapshot.Create(previous.Version + 1, content));
        if (change.IsEmpty)
        {
            return change with { Current = previous };
        }

        _current = change.Current;
        foreach (var subscriber in _subscribers.ToArray())
        {
            subscriber(change);
        }

        return change;
    }

    private sealed class Subscription(MeshRegistry registry, Action<RegistryChange> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (registry._gate)
            {
                registry._subscribers.Remove(handler);
            }
        }
    }
}
