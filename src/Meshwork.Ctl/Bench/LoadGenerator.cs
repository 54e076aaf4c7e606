using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using HdrHistogram;

namespace Meshwork.Ctl.Bench;

/// <summary>What to run: <see cref="Qps"/> 0 is closed loop (each connection sends when the last answer is in).</summary>
internal sealed record BenchSettings(Uri Target, double Qps, int Connections, TimeSpan Duration, TimeSpan Warmup, Uri? Proxy, TimeSpan Timeout);

/// <summary>What one run measured. Latencies are in microseconds.</summary>
internal sealed class BenchResult
{
    public required BenchSettings Settings { get; init; }

    /// <summary>Requests scheduled (open loop) or sent (closed loop) inside the measured window, answered or failed.</summary>
    public long Requests { get; set; }

    /// <summary>2xx answers.</summary>
    public long Ok { get; set; }

    public long BytesReceived { get; set; }

    /// <summary>From the start of the measured window to the last measured request's end (at least the window).</summary>
    public TimeSpan Elapsed { get; set; }

    public SortedDictionary<int, long> StatusCodes { get; } = [];

    public SortedDictionary<string, long> SocketErrors { get; } = new(StringComparer.Ordinal);

    /// <summary>Every answered request (any status), from its intended send time to the end of its body.</summary>
    public required LongHistogram Latency { get; init; }

    /// <summary>Open loop only: how late the generator itself sent requests that found their connection idle.</summary>
    public required LongHistogram SendDelay { get; init; }

    public long Errors => Requests - Ok;

    public long SocketErrorCount => SocketErrors.Values.Sum();
}

/// <summary>
/// The load generator: C HTTP/1.1 keep-alive connections (one SocketsHttpHandler with
/// MaxConnectionsPerServer = C, at most one request in flight per connection, so exactly C sockets).
/// <para>
/// Open loop: request j is due at start + j / qps and belongs to connection j mod C, so each
/// connection has its own schedule (every C / qps seconds, phase-shifted by 1 / qps). One dispatcher
/// thread sleeps precisely (<see cref="PreciseClock"/>) until each due time and sends the request
/// itself when its connection is idle; when the connection is still waiting for an earlier answer the
/// request queues behind it and is sent the moment that answer ends. Either way its latency is taken
/// from its due time, so a stall counts against every request it delays (no coordinated omission).
/// </para>
/// <para>Closed loop (qps 0): each connection sends the next request when the last is answered; latency from the send.</para>
/// Requests due (or sent) during the warm-up are made but not recorded.
/// </summary>
internal sealed class LoadGenerator
{
    private const long HighestMicros = 3_600_000_000; // one hour

    private readonly BenchSettings _settings;
    private readonly HttpMessageInvoker _invoker;
    private readonly CancellationTokenSource _abort;
    private long _measureStart;
    private long _measureEnd;

    private LoadGenerator(BenchSettings settings, HttpMessageInvoker invoker, CancellationToken cancellationToken)
    {
        _settings = settings;
        _invoker = invoker;
        _abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    public static async Task<BenchResult> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = settings.Connections,
            UseProxy = settings.Proxy is not null,
            Proxy = settings.Proxy is null ? null : new WebProxy(settings.Proxy),
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = settings.Timeout,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        };
        using var invoker = new HttpMessageInvoker(handler, disposeHandler: false);
        var generator = new LoadGenerator(settings, invoker, cancellationToken);
        try
        {
            return await generator.RunAsync();
        }
        finally
        {
            generator._abort.Dispose();
        }
    }

    private async Task<BenchResult> RunAsync()
    {
        var freq = Stopwatch.Frequency;
        var connections = Enumerable.Range(0, _settings.Connections).Select(_ => new Connection(this)).ToArray();
        var start = Stopwatch.GetTimestamp();
        _measureStart = start + (long)(_settings.Warmup.TotalSeconds * freq);
        _measureEnd = _measureStart + (long)(_settings.Duration.TotalSeconds * freq);

        if (_settings.Qps > 0)
        {
            await DispatchOpenLoopAsync(connections, start);
        }
        else
        {
            await Task.WhenAll(connections.Select(c => Task.Run(c.RunClosedLoopAsync)));
        }

        var result = new BenchResult
        {
            Settings = _settings,
            Latency = new LongHistogram(HighestMicros, 3),
            SendDelay = new LongHistogram(HighestMicros, 3),
        };
        long lastEnd = _measureEnd;
        foreach (var c in connections)
        {
            result.Latency.Add(c.Latency);
            result.SendDelay.Add(c.SendDelay);
            result.Requests += c.Requests;
            result.Ok += c.Ok;
            result.BytesReceived += c.Bytes;
            lastEnd = Math.Max(lastEnd, c.LastEnd);
            foreach (var (code, n) in c.StatusCodes)
            {
                result.StatusCodes[code] = result.StatusCodes.GetValueOrDefault(code) + n;
            }

            foreach (var (kind, n) in c.SocketErrors)
            {
                result.SocketErrors[kind] = result.SocketErrors.GetValueOrDefault(kind) + n;
            }
        }

        var measuredEnd = _abort.IsCancellationRequested ? Math.Min(lastEnd, Stopwatch.GetTimestamp()) : lastEnd;
        result.Elapsed = TimeSpan.FromSeconds(Math.Max(0, measuredEnd - _measureStart) / (double)freq);
        return result;
    }

    private async Task DispatchOpenLoopAsync(Connection[] connections, long start)
    {
        var ticksPerRequest = Stopwatch.Frequency / _settings.Qps;
        var dispatched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dispatcher = new Thread(() =>
        {
            try
            {
                PreciseClock.PrepareThread();
                for (long j = 0; !_abort.IsCancellationRequested; j++)
                {
                    var due = start + (long)Math.Round(j * ticksPerRequest);
                    if (due >= _measureEnd)
                    {
                        break;
                    }

                    PreciseClock.SleepUntil(due);
                    connections[j % connections.Length].Schedule(due);
                }

                dispatched.SetResult();
            }
            catch (Exception e)
            {
                dispatched.SetException(e);
            }
        })
        { IsBackground = true, Name = "meshctl-bench-dispatch" };
        dispatcher.Start();
        await dispatched.Task; // no thread-pool thread blocked in Join meanwhile

        // Requests due inside the window are still owed: wait for them, but not past one timeout
        // after the window (a hung server then ends the run, its requests counted as timeouts).
        var deadline = Stopwatch.GetTimestamp() + (long)(_settings.Timeout.TotalSeconds * Stopwatch.Frequency);
        while (connections.Any(c => c.Busy) && Stopwatch.GetTimestamp() < deadline && !_abort.IsCancellationRequested)
        {
            await Task.Delay(5);
        }

        if (connections.Any(c => c.Busy))
        {
            await _abort.CancelAsync();
            var grace = Stopwatch.GetTimestamp() + (2 * Stopwatch.Frequency);
            while (connections.Any(c => c.Busy) && Stopwatch.GetTimestamp() < grace)
            {
                await Task.Delay(5);
            }
        }
    }

    private bool Measured(long due) => due >= _measureStart && due < _measureEnd;

    /// <summary>One logical connection: at most one request in flight, its own queue of due times.</summary>
    private sealed class Connection(LoadGenerator owner)
    {
        private readonly Lock _gate = new();
        private readonly Queue<long> _pending = new();
        private readonly byte[] _buffer = new byte[16 * 1024];
        private bool _busy;

        public LongHistogram Latency { get; } = new(HighestMicros, 3);

        public LongHistogram SendDelay { get; } = new(HighestMicros, 3);

        public Dictionary<int, long> StatusCodes { get; } = [];

        public Dictionary<string, long> SocketErrors { get; } = new(StringComparer.Ordinal);

        public long Requests { get; private set; }

        public long Ok { get; private set; }

        public long Bytes { get; private set; }

        public long LastEnd { get; private set; }

        public bool Busy
        {
            get
            {
                lock (_gate)
                {
                    return _busy;
                }
            }
        }

        /// <summary>On the dispatcher thread: send now if idle (the send runs on this thread up to the wait for the answer), else queue.</summary>
        public void Schedule(long due)
        {
            lock (_gate)
            {
                if (_busy)
                {
                    _pending.Enqueue(due);
                    return;
                }

                _busy = true;
            }

            _ = RunOpenLoopAsync(due);
        }

        private async Task RunOpenLoopAsync(long due)
        {
            var fromDispatcher = true;
            while (true)
            {
                if (fromDispatcher && owner.Measured(due))
                {
                    SendDelay.RecordValue(Micros(Stopwatch.GetTimestamp() - due));
                }

                await SendOneAsync(due).ConfigureAwait(false);
                lock (_gate)
                {
                    if (!_pending.TryDequeue(out due))
                    {
                        _busy = false;
                        return;
                    }
                }

                fromDispatcher = false;
            }
        }

        public async Task RunClosedLoopAsync()
        {
            while (!owner._abort.IsCancellationRequested)
            {
                var sent = Stopwatch.GetTimestamp();
                if (sent >= owner._measureEnd)
                {
                    return;
                }

                await SendOneAsync(sent).ConfigureAwait(false);
            }
        }

        /// <summary>One GET, its body read to the end; recorded against <paramref name="due"/> when due inside the window.</summary>
        private async Task SendOneAsync(long due)
        {
            var status = 0;
            string? error = null;
            long bytes = 0;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(owner._abort.Token);
            timeout.CancelAfter(owner._settings.Timeout);
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, owner._settings.Target)
                {
                    Version = HttpVersion.Version11,
                    VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                };
                using var response = await owner._invoker.SendAsync(request, timeout.Token).ConfigureAwait(false);
                await using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
                int n;
                while ((n = await body.ReadAsync(_buffer, timeout.Token).ConfigureAwait(false)) > 0)
                {
                    bytes += n;
                }

                status = (int)response.StatusCode;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Whatever fails (refused, reset, timeout, a TLS or protocol error) is counted, never
                // thrown: an escaped exception would leave this connection busy until the run's end.
                error = Classify(e);
            }

            var end = Stopwatch.GetTimestamp();
            if (!owner.Measured(due))
            {
                return;
            }

            Requests++;
            LastEnd = Math.Max(LastEnd, end);
            if (error is not null)
            {
                SocketErrors[error] = SocketErrors.GetValueOrDefault(error) + 1;
                return;
            }

            Latency.RecordValue(Micros(end - due));
            Bytes += bytes;
            StatusCodes[status] = StatusCodes.GetValueOrDefault(status) + 1;
            if (status is >= 200 and < 300)
            {
                Ok++;
            }
        }

        private static long Micros(long ticks) => Math.Clamp(ticks * 1_000_000 / Stopwatch.Frequency, 0, HighestMicros);

        /// <summary>Failures below HTTP, by kind: connect, reset, closed, timeout, tls, protocol, other.</summary>
        private static string Classify(Exception e)
        {
            if (e is OperationCanceledException)
            {
                return "timeout";
            }

            for (var inner = e; inner is not null; inner = inner.InnerException)
            {
                if (inner is SocketException socket)
                {
                    return socket.SocketErrorCode switch
                    {
                        SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostNotFound or SocketError.TryAgain => "connect",
                        SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown => "reset",
                        SocketError.TimedOut => "timeout",
                        _ => "other",
                    };
                }
            }

            return e is HttpRequestException http
                ? http.HttpRequestError switch
                {
                    HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.ProxyTunnelError => "connect",
                    HttpRequestError.SecureConnectionError => "tls",
                    HttpRequestError.ResponseEnded => "closed",
                    HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError => "protocol",
                    _ => "other",
                }
                : e is IOException ? "reset" : "other";
        }
    }
}
