using System.Net;
using System.Net.Sockets;

namespace Meshwork.Proxy.Upstream;

/// <summary>
/// The keep-alive connections to one endpoint for the proxy's own HTTP/1.1 client, with the limits
/// SocketsHttpHandler applied on the other path: at most max_connections open (idle ones count;
/// requests beyond wait in order for one), the cluster's idle timeout and max connection duration,
/// and max_requests_per_connection (the exchange asks <see cref="IsLastRequest"/> and sends
/// <c>Connection: close</c>). A connection comes back only after a cleanly framed exchange.
/// </summary>
internal sealed class Http1Pool : IDisposable
{
    private readonly Func<CancellationToken, ValueTask<Socket>> _connect;
    private readonly Func<ConnectionAccounting> _accounting;
    private readonly TimeProvider _time;
    private readonly int _maxConnections;
    private readonly int _maxRequests;
    private readonly TimeSpan _connectTimeout;
    private readonly TimeSpan _idleTimeout;
    private readonly TimeSpan? _lifetime;
    // Idle connections, most recently returned last (taken from the end, so the warmest go first).
    private readonly List<Http1Connection> _idle = [];
    private readonly Queue<TaskCompletionSource<Http1Connection?>> _waiters = new();
    private readonly ITimer _scavenger;
    private readonly TimeSpan _scavengePeriod;
    private bool _scavenging;
    private int _open;
    private bool _disposed;

    public Http1Pool(Func<CancellationToken, ValueTask<Socket>> connect, Func<ConnectionAccounting> accounting, TimeProvider time, long maxConnections, ConnectionSettings settings, TimeSpan idleTimeout)
    {
        _connect = connect;
        _accounting = accounting;
        _time = time;
        _maxConnections = (int)Math.Clamp(maxConnections, 1, int.MaxValue);
        _maxRequests = settings.MaxRequestsPerConnection;
        _connectTimeout = settings.ConnectTimeout;
        _idleTimeout = idleTimeout;
        _lifetime = settings.MaxConnectionDuration;
        _scavengePeriod = TimeSpan.FromTicks(Math.Max(idleTimeout.Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks));

        // The timer runs only while the pool holds connections, so pools of endpoints gone quiet cost nothing.
        _scavenger = time.CreateTimer(static s => ((Http1Pool)s!).CloseExpired(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Open connections, idle or busy.</summary>
    public int OpenConnections => Volatile.Read(ref _open);

    public int IdleConnections
    {
        get
        {
            lock (_idle)
            {
                return _idle.Count;
            }
        }
    }

    /// <summary>Whether the request now starting on <paramref name="connection"/> is the last it may carry.</summary>
    public bool IsLastRequest(Http1Connection connection) => _maxRequests > 0 && connection.Requests >= _maxRequests;

    /// <summary>
    /// An idle connection (reused = true), or a new one once a slot is free. Throws what connecting
    /// threw (the exchange calls that a connect failure) or <see cref="OperationCanceledException"/>.
    /// </summary>
    public async ValueTask<(Http1Connection Connection, bool Reused)> RentAsync(bool fresh, CancellationToken cancellationToken)
    {
        TaskCompletionSource<Http1Connection?>? waiter = null;
        lock (_idle)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            while (!fresh && TakeIdle() is { } idle)
            {
                if (Usable(idle))
                {
                    return (idle, true);
                }

                _open--;
                idle.Close();
            }

            if (_open < _maxConnections)
            {
                _open++;
            }
            else
            {
                waiter = new TaskCompletionSource<Http1Connection?>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Enqueue(waiter);
            }
        }

        if (waiter != null)
        {
            var handed = await WaitAsync(waiter, cancellationToken).ConfigureAwait(false);
            if (handed != null)
            {
                return (handed, true);
            }
        }

        // A slot is reserved for this caller: connect, or give the slot back.
        try
        {
            return (await ConnectAsync(cancellationToken).ConfigureAwait(false), false);
        }
        catch
        {
            Release(null);
            throw;
        }
    }

    /// <summary>Takes a connection back: reusable ones go to a waiter or the idle list, others are closed and free their slot.</summary>
    public void Return(Http1Connection connection, bool reusable)
    {
        if (!reusable || connection.IsClosed || (_maxRequests > 0 && connection.Requests >= _maxRequests))
        {
            connection.Close();
            Release(null);
            return;
        }

        Release(connection);
    }

    public void Dispose()
    {
        List<Http1Connection> idle;
        lock (_idle)
        {
            _disposed = true;
            idle = [.. _idle];
            _open -= _idle.Count;
            _idle.Clear();
        }

        _scavenger.Dispose();
        foreach (var connection in idle)
        {
            connection.Close();
        }
    }

    private void Release(Http1Connection? connection)
    {
        lock (_idle)
        {
            if (connection != null && !_disposed)
            {
                while (_waiters.TryDequeue(out var waiter))
                {
                    if (waiter.TrySetResult(connection))
                    {
                        return;
                    }
                }

                connection.IdleSinceTimestamp = _time.GetTimestamp();
                _idle.Add(connection);
                if (!_scavenging)
                {
                    _scavenging = true;
                    _scavenger.Change(_scavengePeriod, _scavengePeriod);
                }

                return;
            }

            connection?.Close();

            // The slot passes to the next waiter, who connects.
            while (_waiters.TryDequeue(out var waiter))
            {
                if (waiter.TrySetResult(null))
                {
                    return;
                }
            }

            _open--;
        }
    }

    private async ValueTask<Http1Connection?> WaitAsync(TaskCompletionSource<Http1Connection?> waiter, CancellationToken cancellationToken)
    {
        try
        {
            return await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Handed something just as the wait ended: pass it on.
            if (!waiter.TrySetCanceled() && waiter.Task.IsCompletedSuccessfully)
            {
                Release(waiter.Task.Result);
            }

            throw;
        }
    }

    private async ValueTask<Http1Connection> ConnectAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_connectTimeout);
        try
        {
            var socket = await _connect(timeout.Token).ConfigureAwait(false);
            return new Http1Connection(socket, _accounting(), _time.GetTimestamp());
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SocketException((int)SocketError.TimedOut);
        }
    }

    /// <summary>
    /// The idle connection to use next (under the lock): one whose socket events are handled on this
    /// thread when there is one among the most recent, so a request's downstream and upstream sockets
    /// are served by the same event thread; otherwise the most recently returned.
    /// </summary>
    private Http1Connection? TakeIdle()
    {
        var count = _idle.Count;
        if (count == 0)
        {
            return null;
        }

        var at = count - 1;
        var thread = Environment.CurrentManagedThreadId;
        for (var i = count - 1; i >= Math.Max(0, count - 8); i--)
        {
            if (_idle[i].EventThread == thread)
            {
                at = i;
                break;
            }
        }

        var connection = _idle[at];
        _idle.RemoveAt(at);
        return connection;
    }

    private bool Usable(Http1Connection connection)
    {
        var now = _time.GetTimestamp();
        return !connection.IsClosed
            && _time.GetElapsedTime(connection.IdleSinceTimestamp, now) < _idleTimeout
            && (_lifetime is not { } lifetime || _time.GetElapsedTime(connection.CreatedTimestamp, now) < lifetime);
    }

    private void CloseExpired()
    {
        List<Http1Connection>? expired = null;
        lock (_idle)
        {
            if (_idle.Count == 0)
            {
                if (_open == 0 && _scavenging && !_disposed)
                {
                    _scavenging = false;
                    _scavenger.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                }

                return;
            }

            var keep = new List<Http1Connection>(_idle.Count);
            foreach (var connection in _idle)
            {
                if (Usable(connection))
                {
                    keep.Add(connection);
                }
                else
                {
                    (expired ??= []).Add(connection);
                }
            }

            if (expired == null)
            {
                return;
            }

            _idle.Clear();
            _idle.AddRange(keep);

            _open -= expired.Count;
        }

        foreach (var connection in expired)
        {
            connection.Close();
        }
    }
}
