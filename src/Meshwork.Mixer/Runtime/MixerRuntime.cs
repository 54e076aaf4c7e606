using Meshwork.Config.Diagnostics;
using Meshwork.Config.Resources;
using Meshwork.Mixer.Adapters;
using Meshwork.Mixer.Attributes;

namespace Meshwork.Mixer.Runtime;

/// <summary>
/// The long-lived Mixer: holds the current snapshot and swaps it whole when config changes (readers take one
/// reference per call and never lock); adapters of the replaced snapshot are disposed.
/// </summary>
public sealed class MixerRuntime(AdapterContext context, string configNamespace = Dispatcher.DefaultConfigNamespace) : IDisposable
{
    private readonly SnapshotCompiler _compiler = new(new AdapterFactory(context));
    private readonly Dispatcher _dispatcher = new(configNamespace);
    private MixerSnapshot _snapshot = MixerSnapshot.Empty;

    public MixerSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>Compiles and publishes <paramref name="resources"/>; returns the located problems (those resources are left out).</summary>
    public IReadOnlyList<ConfigDiagnostic> Update(IEnumerable<ConfigResource> resources)
    {
        var next = _compiler.Compile(resources);
        var previous = Interlocked.Exchange(ref _snapshot, next);
        DisposeAdapters(previous);
        return next.Diagnostics;
    }

    public CheckOutcome Check(IAttributeBag bag, IReadOnlyDictionary<string, QuotaRequest> quotas) => _dispatcher.Check(Snapshot, bag, quotas);

    public void Report(IEnumerable<IAttributeBag> records) => _dispatcher.Report(Snapshot, records);

    public void Dispose() => DisposeAdapters(Interlocked.Exchange(ref _snapshot, MixerSnapshot.Empty));

    private static void DisposeAdapters(MixerSnapshot snapshot)
    {
        foreach (var adapter in snapshot.Handlers.OfType<IDisposable>())
        {
            adapter.Dispose();
        }
    }
}
