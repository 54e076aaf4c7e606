using System.Net;
using Meshwork.Proxy.Runtime;
using Meshwork.Proxy.Stats;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting.Server;

namespace Meshwork.Proxy.Listeners;

/// <summary>
/// Keeps the bound sockets in step with the listeners in force: binds new addresses, points
/// running ones at their new config (connections read it per accept, nothing rebinds), and drains
/// removed ones for the drain period before closing them, as Envoy does.
/// </summary>
internal sealed partial class ListenerHost(
    ProxyOptions options,
    ConnectionDispatcher dispatcher,
    IHttpApplication<HttpContext> application,
    IServiceProvider services,
    StatsStore stats,
    ILoggerFactory loggerFactory) : IAsyncDisposable
{
    private readonly SemaphoreSlim _reconciling = new(1, 1);
    private readonly Dictionary<IPEndPoint, RunningListener> _running = [];
    private readonly ILogger _logger = loggerFactory.CreateLogger<ListenerHost>();
    private readonly KestrelLogs _kestrelLogs = new(loggerFactory);
    private readonly Counter _createFailures = stats.Counter("listener_manager.listener_create_failure");
    private readonly Gauge _active = stats.Gauge(string.Empty, string.Empty, "listener_manager.total_listeners_active");
    private bool _stopped;

    /// <summary>What is bound now, and listeners that could not bind with the reason (for /listeners).</summary>
    public IReadOnlyList<(string Name, IPEndPoint Address, string? Problem)> State { get; private set; } = [];

    private ListenerSnapshot? _latest;
    private volatile bool _hasBound;

    /// <summary>True once a listener snapshot has been reconciled (its sockets bound, or their failures recorded): what readiness waits for.</summary>
    public bool HasBound => _hasBound;

    /// <summary>Brings the sockets in line with the newest snapshot handed in (an older call that runs later applies the newest one too).</summary>
    public async Task ReconcileAsync(ListenerSnapshot snapshot)
    {
        Volatile.Write(ref _latest, snapshot);
        await _reconciling.WaitAsync().ConfigureAwait(false);
        try
        {
            snapshot = Volatile.Read(ref _latest)!;
            if (_stopped)
            {
                return;
            }

            var state = new List<(string, IPEndPoint, string?)>();
            var wanted = snapshot.Listeners.Values.ToDictionary(l => l.BindAt);
            foreach (var (address, running) in _running.Where(r => !wanted.ContainsKey(r.Key)).ToList())
            {
                _running.Remove(address);
                Log.Removed(_logger, running.Current.Name, address);
                _ = DrainAndStopAsync(running);
            }

            foreach (var (address, listener) in wanted)
            {
                if (_running.TryGetValue(address, out var running))
                {
                    running.Current = listener;
                    state.Add((listener.Name, address, null));
                    continue;
                }

                running = new RunningListener(listener);
                try
                {
                    running.Server = await ListenerServer.StartAsync(address, (connection, next) => dispatcher.OnConnectionAsync(running, connection, next), application, services, _kestrelLogs, CancellationToken.None).ConfigureAwait(false);
                    _running[address] = running;
                    state.Add((listener.Name, address, null));
                    Log.Bound(_logger, listener.Name, address);
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
                {
                    _createFailures.Increment();
                    state.Add((listener.Name, address, e.Message));
                    Log.CannotBind(_logger, listener.Name, address, e.Message);
                }
            }

            _active.Set(_running.Count);
            State = state;
            _hasBound = true;
        }
        finally
        {
            _reconciling.Release();
        }
    }

    /// <summary>Stops accepting everywhere and lets requests in flight finish within the drain period.</summary>
    public async Task DrainAsync(TimeSpan drain)
    {
        await _reconciling.WaitAsync().ConfigureAwait(false);
        try
        {
            _stopped = true;
            using var deadline = new CancellationTokenSource(drain);
            await Task.WhenAll(_running.Values.Select(r => r.Server!.StopAsync(deadline.Token))).ConfigureAwait(false);
            foreach (var running in _running.Values)
            {
                await running.Server!.DisposeAsync().ConfigureAwait(false);
            }

            _running.Clear();
            _active.Set(0);
        }
        finally
        {
            _reconciling.Release();
        }
    }

    private async Task DrainAndStopAsync(RunningListener running)
    {
        using var deadline = new CancellationTokenSource(options.DrainDuration);
        await running.Server!.StopAsync(deadline.Token).ConfigureAwait(false);
        await running.Server.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await DrainAsync(TimeSpan.Zero).ConfigureAwait(false);
        _reconciling.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "listener {Name} bound on {Address}")]
        public static partial void Bound(ILogger logger, string name, IPEndPoint address);

        [LoggerMessage(EventId = 31, Level = LogLevel.Warning, Message = "listener {Name} cannot bind {Address}: {Reason}")]
        public static partial void CannotBind(ILogger logger, string name, IPEndPoint address, string reason);

        [LoggerMessage(EventId = 32, Level = LogLevel.Information, Message = "listener {Name} on {Address} removed; draining")]
        public static partial void Removed(ILogger logger, string name, IPEndPoint address);
    }
}

/// <summary>A bound listener and the config its new connections follow (swapped whole on updates).</summary>
internal sealed class RunningListener(CompiledListener listener)
{
    private volatile CompiledListener _current = listener;

    public CompiledListener Current
    {
        get => _current;
        set => _current = value;
    }

    public ListenerServer? Server { get; set; }
}
