using Meshwork.Config.Mesh;
using Meshwork.Config.Resources;
using Meshwork.Meshd.Security;
using Meshwork.Config.Store;
using Meshwork.Pilot.Model;
using Meshwork.Pilot.Push;
using Meshwork.Pilot.Xds;
using Meshwork.Registry.Publishing;

namespace Meshwork.Meshd.Discovery;

/// <summary>
/// Connects config and registry changes to pushes: each change becomes a push request, the
/// debouncer merges them (100 ms quiet, 10 s max), and each push publishes one immutable
/// MeshSnapshot to the discovery server. Endpoint-only registry changes stay incremental (EDS).
/// </summary>
public sealed partial class PushPipeline(
    ConfigStore store,
    MeshRegistry registry,
    MeshConfig mesh,
    DiscoveryServer server,
    JwksResolver jwks,
    TimeProvider time,
    ILogger<PushPipeline> logger) : IHostedService, IDisposable
{
    private readonly List<IDisposable> _subscriptions = [];
    private Debouncer? _debouncer;
    private long _version;
    private HashSet<string> _reportedProblems = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _debouncer = new Debouncer(PushAsync, time);
        _subscriptions.Add(registry.Follow(store));
        _subscriptions.Add(store.Subscribe(change =>
            _debouncer.Enqueue(PushRequest.ForConfig(change.Added.Concat(change.Updated).Concat(change.Removed).Select(k => $"{k.Kind}/{k.Namespace}/{k.Name}"), time.GetUtcNow()))));
        _subscriptions.Add(registry.Subscribe(OnRegistryChange));
        // A key set fetched or changed: RequestAuthentication's filters carry the keys inline.
        jwks.OnChanged(() => _debouncer.Enqueue(PushRequest.ForConfig([$"{ResourceKinds.RequestAuthentication.Kind}/-/jwks"], time.GetUtcNow())));
        var snapshot = Build();
        ReportProblems(snapshot);
        server.SetSnapshot(snapshot);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }

        _subscriptions.Clear();
        _debouncer?.Dispose();
    }

    private void OnRegistryChange(RegistryChange change)
    {
        if (change.IsEmpty)
        {
            return;
        }

        var now = time.GetUtcNow();
        var hosts = change.ServicesChanged.Concat(change.EndpointsChanged.Select(e => e.Hostname));
        if (!change.ServicesChanged.IsEmpty)
        {
            _debouncer?.Enqueue(PushRequest.ForServices(hosts, now));
            return;
        }

        // A workload that joins or leaves changes its own sidecar's inbound listeners and clusters
        // (its service targets) besides everyone's endpoints: its proxy gets a full push, the others EDS,
        // as Istio pushes a WorkloadEntry. Changes that reach other proxies' clusters (identities,
        // DNS or pass-through services) are in ServicesChanged and pushed in full above.
        var before = change.Previous.Workloads.Select(w => w.Key).ToHashSet();
        var after = change.Current.Workloads.Select(w => w.Key).ToHashSet();
        var joinedOrLeft = change.WorkloadsChanged.Where(w => before.Contains(w) != after.Contains(w)).Select(w => w.Address).ToList();
        _debouncer?.Enqueue(joinedOrLeft.Count > 0
            ? PushRequest.ForWorkloads(hosts, joinedOrLeft, now)
            : PushRequest.ForEndpoints(hosts, now));
    }

    private Task PushAsync(PushRequest request)
    {
        var snapshot = Build();
        Log.Pushing(logger, snapshot.Version, request.Full ? "full" : "incremental", server.Connections.Count, string.Join(",", request.Reasons.Select(r => $"{r.Key}:{r.Value}")));
        if (request.Full)
        {
            ReportProblems(snapshot);
        }

        server.Push(snapshot, request);
        return Task.CompletedTask;
    }

    /// <summary>Logs, once each, what config cannot do as written (a CUSTOM policy whose provider is unusable fails closed).</summary>
    private void ReportProblems(MeshSnapshot snapshot)
    {
        var problems = Pilot.Generators.Authorization.ExtAuthzProviders.Problems(snapshot).ToHashSet(StringComparer.Ordinal);
        foreach (var problem in problems.Where(p => !_reportedProblems.Contains(p)))
        {
            Log.ConfigProblem(logger, problem);
        }

        _reportedProblems = problems;
    }

    private MeshSnapshot Build() => new(Interlocked.Increment(ref _version), mesh, store.Current, registry.Current) { Jwks = jwks.Current };

    private static partial class Log
    {
        [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "push v{Version} ({Kind}) to {Proxies} proxies, triggers {Reasons}")]
        public static partial void Pushing(ILogger logger, long version, string kind, int proxies, string reasons);

        [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "{Problem}")]
        public static partial void ConfigProblem(ILogger logger, string problem);
    }
}
