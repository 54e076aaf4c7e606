using System.Collections.Immutable;
using System.Text.Json;
using Meshwork.Config.Resources;
using Meshwork.Config.Security;
using Meshwork.Config.Store;

namespace Meshwork.Meshd.Security;

/// <summary>
/// Istio's JwtKeyResolver (istiod JWKS mode): meshd fetches every <c>jwksUri</c> a RequestAuthentication
/// names, keeps the last good key set per URI, refreshes it every 20 minutes (Istio's
/// PILOT_JWT_PUB_KEY_REFRESH_INTERVAL) and retries a failing one sooner, with backoff. Proxies get the
/// keys inline, so they never reach the issuer themselves; a set that changes is pushed to them.
/// </summary>
public sealed partial class JwksResolver : IHostedService, IDisposable
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(20);
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);

    private readonly ConfigStore _store;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;
    private readonly ILogger<JwksResolver> _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Fetch> _fetches = new(StringComparer.Ordinal);
    private readonly List<Action> _listeners = [];
    private IDisposable? _subscription;
    private volatile ImmutableDictionary<string, string> _current = ImmutableDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);

    public JwksResolver(ConfigStore store, TimeProvider time, ILogger<JwksResolver> logger, HttpMessageHandler? handler = null)
    {
        _store = store;
        _time = time;
        _logger = logger;
        _http = handler != null ? new HttpClient(handler) : new HttpClient();
    }

    /// <summary>The key sets fetched so far, by URI.</summary>
    public IReadOnlyDictionary<string, string> Current => _current;

    /// <summary>Called after a key set changed (first fetched, or different on refresh).</summary>
    public void OnChanged(Action listener)
    {
        lock (_gate)
        {
            _listeners.Add(listener);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = _store.Subscribe(_ => Track(_store.Current));
        Track(_store.Current);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        lock (_gate)
        {
            foreach (var fetch in _fetches.Values)
            {
                fetch.Timer.Dispose();
            }

            _fetches.Clear();
        }

        _http.Dispose();
    }

    /// <summary>Starts fetching URIs that appeared and forgets those no policy names any more.</summary>
    internal void Track(ConfigSnapshot config)
    {
        var wanted = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        foreach (var resource in config.OfKind(ResourceKinds.RequestAuthentication))
        {
            foreach (var rule in resource.SpecAs<RequestAuthentication>().JwtRules)
            {
                if (rule.Jwks.Length == 0 && rule.JwksUri.Length > 0)
                {
                    wanted[rule.JwksUri] = rule.Timeout ?? DefaultTimeout;
                }
            }
        }

        lock (_gate)
        {
            foreach (var gone in _fetches.Keys.Where(uri => !wanted.ContainsKey(uri)).ToList())
            {
                _fetches[gone].Timer.Dispose();
                _fetches.Remove(gone);
                _current = _current.Remove(gone);
            }

            foreach (var (uri, timeout) in wanted)
            {
                if (!_fetches.ContainsKey(uri))
                {
                    var fetch = new Fetch(uri, timeout);
                    fetch.Timer = _time.CreateTimer(_ => _ = RunAsync(fetch), null, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
                    _fetches[uri] = fetch;
                }
            }
        }
    }

    private async Task RunAsync(Fetch fetch)
    {
        TimeSpan next;
        try
        {
            using var timeout = new CancellationTokenSource(fetch.Timeout);
            using var response = await _http.GetAsync(fetch.Uri, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidDataException($"status {(int)response.StatusCode}");
            }

            var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            CheckIsKeySet(body);
            fetch.Failures = 0;
            next = RefreshInterval;
            Store(fetch, body);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or InvalidDataException or JsonException)
        {
            fetch.Failures++;
            Log.FetchFailed(_logger, fetch.Uri, fetch.Failures, e.Message);
            next = TimeSpan.FromTicks(Math.Min(RefreshInterval.Ticks, FirstRetry.Ticks << Math.Min(fetch.Failures - 1, 20)));
        }

        lock (_gate)
        {
            if (_fetches.TryGetValue(fetch.Uri, out var current) && current == fetch)
            {
                fetch.Timer.Change(next, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void Store(Fetch fetch, string body)
    {
        Action[] listeners;
        lock (_gate)
        {
            if (!_fetches.TryGetValue(fetch.Uri, out var current) || current != fetch
                || (_current.TryGetValue(fetch.Uri, out var known) && known == body))
            {
                return;
            }

            _current = _current.SetItem(fetch.Uri, body);
            listeners = [.. _listeners];
        }

        Log.Fetched(_logger, fetch.Uri);
        foreach (var listener in listeners)
        {
            listener();
        }
    }

    /// <summary>Istio accepts only a JSON Web Key Set: an object with a "keys" array.</summary>
    private static void CheckIsKeySet(string body)
    {
        using var document = JsonDocument.Parse(body);
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("keys", out var keys)
            || keys.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException("not a JSON Web Key Set (no \"keys\" array)");
        }
    }

    private sealed class Fetch(string uri, TimeSpan timeout)
    {
        public string Uri { get; } = uri;

        public TimeSpan Timeout { get; } = timeout;

        public int Failures { get; set; }

        public ITimer Timer { get; set; } = null!;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "JWKS {Uri} fetched")]
        public static partial void Fetched(ILogger logger, string uri);

        [LoggerMessage(EventId = 701, Level = LogLevel.Warning, Message = "JWKS {Uri}: fetch failed ({Failures} in a row), tokens of its issuer are refused until it succeeds: {Reason}")]
        public static partial void FetchFailed(ILogger logger, string uri, int failures, string reason);
    }
}
