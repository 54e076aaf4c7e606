using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;

namespace Meshwork.Proxy.Connections;

/// <summary>How a proxied TCP connection ended.</summary>
public enum TcpProxyOutcome
{
    /// <summary>Both sides finished sending (FIN each way).</summary>
    Completed,

    /// <summary>Every upstream connect attempt failed; the downstream was closed without data (count upstream_cx_connect_fail).</summary>
    UpstreamConnectFailed,

    IdleTimeout,

    MaxDownstreamConnectionDuration,

    DownstreamReset,

    UpstreamReset,

    /// <summary>The caller's token ended the connection (listener drained or proxy stopping).</summary>
    Cancelled,
}

/// <summary>The outcome, the failed connect attempts (each one an upstream_cx_connect_fail), and the bytes each way.</summary>
public readonly record struct TcpProxyResult(TcpProxyOutcome Outcome, int ConnectFailures, long BytesFromDownstream, long BytesToDownstream);

/// <summary>
/// Envoy's tcp_proxy data path for one accepted connection: connect upstream (through the caller's
/// callback, which does load balancing and circuit breaking), then copy bytes both ways with one
/// pooled buffer per direction. A side that ends its stream has the other side's write half shut
/// down (FIN propagated), and the connection lives until both directions end. A reset on either
/// side, the idle timeout (no bytes either way, on the injected clock) or the caller's token ends
/// both at once. It never throws for network failures; both streams are disposed before it returns.
/// </summary>
public static class TcpProxy
{
    private const int BufferSize = 16 * 1024;

    public static async Task<TcpProxyResult> RunAsync(
        Stream downstream,
        Func<CancellationToken, ValueTask<Stream>> connectUpstream,
        TcpProxySettings settings,
        TcpProxyStats stats,
        TimeProvider timeProvider,
        CancellationToken cancellationToken)
    {
        stats.ConnectionOpened();
        Stream? upstream = null;
        try
        {
            var failures = 0;
            while (upstream == null)
            {
                try
                {
                    upstream = await connectUpstream(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception) when (!cancellationToken.IsCancellationRequested)
                {
                    if (++failures >= settings.MaxConnectAttempts)
                    {
                        return new TcpProxyResult(TcpProxyOutcome.UpstreamConnectFailed, failures, 0, 0);
                    }
                }
                catch (Exception)
                {
                    return new TcpProxyResult(TcpProxyOutcome.Cancelled, failures, 0, 0);
                }
            }

            using var connection = new ProxiedConnection(downstream, upstream, settings, stats, timeProvider, cancellationToken);
            var outcome = await connection.RunAsync().ConfigureAwait(false);
            return new TcpProxyResult(outcome, failures, connection.BytesFromDownstream, connection.BytesToDownstream);
        }
        finally
        {
            await CloseQuietlyAsync(downstream).ConfigureAwait(false);
            if (upstream != null)
            {
                await CloseQuietlyAsync(upstream).ConfigureAwait(false);
            }

            stats.ConnectionClosed();
        }
    }

    /// <summary>
    /// Ends the write half of a stream so the peer reads end-of-stream while we still read its
    /// answer: a socket is shut down for sending, a pipe-backed stream completes its writer (Kestrel
    /// then shuts its socket), TLS sends close_notify. Other streams cannot half-close; they stay open
    /// until both directions end.
    /// </summary>
    public static async ValueTask ShutdownWriteAsync(Stream stream)
    {
        try
        {
            switch (stream)
            {
                case NetworkStream network:
                    network.Socket.Shutdown(SocketShutdown.Send);
                    break;
                case IHalfClosableStream halfClosable:
                    await halfClosable.ShutdownWriteAsync().ConfigureAwait(false);
                    break;
                case SslStream ssl:
                    await ssl.ShutdownAsync().ConfigureAwait(false);
                    break;
                default:
                    await stream.FlushAsync().ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
        {
            // The peer is already gone; the other direction will see that for itself.
        }
    }

    private static async ValueTask CloseQuietlyAsync(Stream stream)
    {
        try
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // Closing a reset connection may fail; it is closed all the same.
        }
    }

    /// <summary>The two directions of one connection, the timers that may end it, and why it ended.</summary>
    private sealed class ProxiedConnection : IDisposable
    {
        private readonly Stream _downstream;
        private readonly Stream _upstream;
        private readonly TcpProxyStats _stats;
        private readonly TimeProvider _time;
        private readonly TimeSpan _idleTimeout;
        private readonly CancellationTokenSource _lifetime;
        private readonly ITimer? _idleTimer;
        private readonly ITimer? _durationTimer;
        private long _lastActivity;
        private int _ending = (int)TcpProxyOutcome.Completed;
        private long _fromDownstream;
        private long _toDownstream;

        public ProxiedConnection(Stream downstream, Stream upstream, TcpProxySettings settings, TcpProxyStats stats, TimeProvider time, CancellationToken cancellationToken)
        {
            _downstream = downstream;
            _upstream = upstream;
            _stats = stats;
            _time = time;
            _idleTimeout = settings.IdleTimeout;
            _lifetime = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _lastActivity = time.GetTimestamp();
            if (_idleTimeout > TimeSpan.Zero)
            {
                _idleTimer = time.CreateTimer(_ => CheckIdle(), null, _idleTimeout, Timeout.InfiniteTimeSpan);
            }

            if (settings.MaxDownstreamConnectionDuration is { } duration && duration > TimeSpan.Zero)
            {
                _durationTimer = time.CreateTimer(_ => End(TcpProxyOutcome.MaxDownstreamConnectionDuration), null, duration, Timeout.InfiniteTimeSpan);
            }
        }

        public long BytesFromDownstream => Interlocked.Read(ref _fromDownstream);

        public long BytesToDownstream => Interlocked.Read(ref _toDownstream);

        public async Task<TcpProxyOutcome> RunAsync()
        {
            var toUpstream = PumpAsync(_downstream, _upstream, fromDownstream: true);
            var toDownstream = PumpAsync(_upstream, _downstream, fromDownstream: false);
            await Task.WhenAll(toUpstream, toDownstream).ConfigureAwait(false);

            var outcome = (TcpProxyOutcome)Volatile.Read(ref _ending);
            if (outcome == TcpProxyOutcome.Completed && _lifetime.IsCancellationRequested)
            {
                outcome = TcpProxyOutcome.Cancelled;
            }

            if (outcome == TcpProxyOutcome.IdleTimeout)
            {
                _stats.IdleTimedOut();
            }
            else if (outcome == TcpProxyOutcome.MaxDownstreamConnectionDuration)
            {
                _stats.DurationReached();
            }

            return outcome;
        }

        public void Dispose()
        {
            _idleTimer?.Dispose();
            _durationTimer?.Dispose();
            _lifetime.Dispose();
        }

        private async Task PumpAsync(Stream source, Stream destination, bool fromDownstream)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            var token = _lifetime.Token;
            try
            {
                while (true)
                {
                    int read;
                    try
                    {
                        read = await source.ReadAsync(buffer, token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (IsConnectionFailure(e))
                    {
                        End(Failure(source: fromDownstream ? TcpProxyOutcome.DownstreamReset : TcpProxyOutcome.UpstreamReset));
                        return;
                    }

                    if (read == 0)
                    {
                        await ShutdownWriteAsync(destination).ConfigureAwait(false);
                        return;
                    }

                    Volatile.Write(ref _lastActivity, _time.GetTimestamp());
                    if (fromDownstream)
                    {
                        _stats.Received(read);
                        Interlocked.Add(ref _fromDownstream, read);
                    }

                    try
                    {
                        await destination.WriteAsync(buffer.AsMemory(0, read), token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (IsConnectionFailure(e))
                    {
                        End(Failure(source: fromDownstream ? TcpProxyOutcome.UpstreamReset : TcpProxyOutcome.DownstreamReset));
                        return;
                    }

                    if (!fromDownstream)
                    {
                        _stats.Sent(read);
                        Interlocked.Add(ref _toDownstream, read);
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        /// <summary>The first reason to end wins; both directions are then torn down (reads that ignore the token end when their stream is closed).</summary>
        private void End(TcpProxyOutcome reason)
        {
            if (Interlocked.CompareExchange(ref _ending, (int)reason, (int)TcpProxyOutcome.Completed) != (int)TcpProxyOutcome.Completed)
            {
                return;
            }

            try
            {
                _lifetime.Cancel();
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            _downstream.Dispose();
            _upstream.Dispose();
        }

        /// <summary>A failed read or write means a reset, unless the connection was already being ended by the caller's token.</summary>
        private TcpProxyOutcome Failure(TcpProxyOutcome source) => _lifetime.IsCancellationRequested ? TcpProxyOutcome.Cancelled : source;

        /// <summary>Re-arms for the rest of the period when there was traffic meanwhile, so reads never touch the timer.</summary>
        private void CheckIdle()
        {
            var idleFor = _time.GetElapsedTime(Volatile.Read(ref _lastActivity));
            if (idleFor >= _idleTimeout)
            {
                End(TcpProxyOutcome.IdleTimeout);
                return;
            }

            try
            {
                _idleTimer?.Change(_idleTimeout - idleFor, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // The connection ended meanwhile.
            }
        }

        private bool IsConnectionFailure(Exception e) =>
            e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException
            || (e is AggregateException && _lifetime.IsCancellationRequested);
    }
}

/// <summary>A stream that can end its write half alone (a pipe-backed transport): what <see cref="TcpProxy.ShutdownWriteAsync"/> looks for.</summary>
public interface IHalfClosableStream
{
    ValueTask ShutdownWriteAsync();
}
