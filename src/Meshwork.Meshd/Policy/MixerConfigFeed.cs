using Meshwork.Config.Diagnostics;
using Meshwork.Config.Store;
using Meshwork.Mixer.Runtime;

namespace Meshwork.Meshd.Policy;

/// <summary>
/// Feeds the config store's config.istio.io resources to the hosted Mixer: compiled once at start and again on every
/// change; compile problems are logged with their location, and the resources concerned are left out.
/// </summary>
public sealed partial class MixerConfigFeed(ConfigStore store, MixerRuntime runtime, ILogger<MixerConfigFeed> logger) : IHostedService, IDisposable
{
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = store.Subscribe(change => Compile(change.Current));
        Compile(store.Current);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Compile(ConfigSnapshot snapshot)
    {
        var diagnostics = runtime.Update(snapshot.Resources.Values);
        foreach (var diagnostic in diagnostics)
        {
            Log.MixerConfigError(logger, diagnostic);
        }

        Log.MixerConfigCompiled(logger, runtime.Snapshot.Rules.Count, runtime.Snapshot.Handlers.Count, diagnostics.Count);
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        runtime.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 800, Level = LogLevel.Information, Message = "mixer config: {Rules} rules, {Handlers} handlers, {Errors} errors")]
        public static partial void MixerConfigCompiled(ILogger logger, int rules, int handlers, int errors);

        [LoggerMessage(EventId = 801, Level = LogLevel.Error, Message = "mixer config: {Diagnostic}")]
        public static partial void MixerConfigError(ILogger logger, ConfigDiagnostic diagnostic);
    }
}
