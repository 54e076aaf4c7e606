using Meshwork.Config.Diagnostics;
using Meshwork.Config.Store;

namespace Meshwork.Meshd.Config;

/// <summary>
/// Loads every <c>--config-dir</c> into the config store and keeps watching them. Problems are
/// logged with file and line; a bad file keeps its last good resources in force (DirectorySource).
/// </summary>
public sealed partial class ConfigWatcher(MeshdOptions options, ConfigStore store, Readiness readiness, ILogger<ConfigWatcher> logger) : IHostedService, IDisposable
{
    private readonly List<DirectorySource> _sources = [];
    private IDisposable? _subscription;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = store.Subscribe(change => Log.ConfigChanged(logger, change.Current.Version, change.Added.Count, change.Updated.Count, change.Removed.Count));
        foreach (var directory in options.ConfigDirectories)
        {
            var source = new DirectorySource(directory, store);
            source.Scanned += diagnostics => Report(directory, diagnostics);
            _sources.Add(source);
            await source.StartAsync().ConfigureAwait(false);
        }

        Log.ConfigLoaded(logger, store.Current.Resources.Count, options.ConfigDirectories.Count);
        readiness.ConfigLoaded();
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        foreach (var source in _sources)
        {
            source.Dispose();
        }

        _sources.Clear();
    }

    private void Report(string directory, IReadOnlyList<ConfigDiagnostic> diagnostics)
    {
        foreach (var diagnostic in diagnostics)
        {
            var located = Path.Join(directory, diagnostic.ToString());
            if (diagnostic.IsError)
            {
                Log.ConfigError(logger, located);
            }
            else
            {
                Log.ConfigWarning(logger, located);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "config loaded: {Resources} resources from {Directories} directories")]
        public static partial void ConfigLoaded(ILogger logger, int resources, int directories);

        [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "config version {Version}: {Added} added, {Updated} updated, {Removed} removed")]
        public static partial void ConfigChanged(ILogger logger, long version, int added, int updated, int removed);

        [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "config rejected (last good version stays): {Problem}")]
        public static partial void ConfigError(ILogger logger, string problem);

        [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "config warning: {Problem}")]
        public static partial void ConfigWarning(ILogger logger, string problem);
    }
}
