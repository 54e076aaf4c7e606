using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Meshwork.Proxy.Stats;

/// <summary>A counter that only grows: a reference is taken once when config arrives, the hot path only increments.</summary>
public sealed class Counter
{
    private long _value;

    public long Value => Interlocked.Read(ref _value);

    public void Increment() => Interlocked.Increment(ref _value);

    public void Add(long amount) => Interlocked.Add(ref _value, amount);
}

/// <summary>A value that goes up and down (active requests, connections).</summary>
public sealed class Gauge
{
    private long _value;

    public long Value => Interlocked.Read(ref _value);

    public void Increment() => Interlocked.Increment(ref _value);

    public void Decrement() => Interlocked.Decrement(ref _value);

    public void Set(long value) => Interlocked.Exchange(ref _value, value);
}

/// <summary>
/// Where a statistic lives: Envoy's scope (<c>cluster</c>, <c>http</c>, <c>listener</c>, <c>tcp</c>, or none),
/// the scope's name (a cluster name, a stat prefix) and the statistic itself (which may contain dots,
/// e.g. <c>outlier_detection.ejections_active</c>). Kept apart so Prometheus labels never guess.
/// </summary>
public readonly record struct StatKey(string Scope, string ScopeName, string Stat)
{
    public string FullName => Scope.Length == 0 ? Stat : $"{Scope}.{ScopeName}.{Stat}";
}

/// <summary>
/// The proxy's statistics under Envoy's names (<c>cluster.NAME.upstream_rq_total</c>,
/// <c>http.PREFIX.downstream_rq_2xx</c>, ...), so operators can read them as they read Envoy's.
/// Statistics live as long as the process, as Envoy's do, so counts survive config swaps; a
/// reference is taken when config arrives and the hot path only increments it. Other parts
/// (clusters) may expose their own counters through <see cref="AddSource"/>.
/// </summary>
public sealed class StatsStore
{
    private readonly ConcurrentDictionary<StatKey, Counter> _counters = new();
    private readonly ConcurrentDictionary<StatKey, Gauge> _gauges = new();
    private readonly List<Func<IEnumerable<(StatKey Key, long Value, bool IsGauge)>>> _sources = [];

    public Counter Counter(string scope, string scopeName, string stat) => _counters.GetOrAdd(new StatKey(scope, scopeName, stat), static _ => new Counter());

    public Counter Counter(string stat) => Counter(string.Empty, string.Empty, stat);

    public Gauge Gauge(string scope, string scopeName, string stat) => _gauges.GetOrAdd(new StatKey(scope, scopeName, stat), static _ => new Gauge());

    public void AddSource(Func<IEnumerable<(StatKey Key, long Value, bool IsGauge)>> source)
    {
        lock (_sources)
        {
            _sources.Add(source);
        }
    }

    public IReadOnlyList<(StatKey Key, long Value, bool IsGauge)> Snapshot()
    {
        var all = new List<(StatKey Key, long Value, bool IsGauge)>();
        all.AddRange(_counters.Select(c => (c.Key, c.Value.Value, false)));
        all.AddRange(_gauges.Select(g => (g.Key, g.Value.Value, true)));
        lock (_sources)
        {
            foreach (var source in _sources)
            {
                all.AddRange(source());
            }
        }

        all.Sort((a, b) => string.CompareOrdinal(a.Key.FullName, b.Key.FullName));
        return all;
    }

    /// <summary>Envoy's <c>/stats</c> text: <c>name: value</c>, sorted, optionally filtered by a regex.</summary>
    public string RenderText(string? filter)
    {
        var regex = string.IsNullOrEmpty(filter) ? null : new System.Text.RegularExpressions.Regex(filter, System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        var text = new StringBuilder();
        foreach (var (key, value, _) in Snapshot())
        {
            var name = key.FullName;
            if (regex == null || regex.IsMatch(name))
            {
                text.Append(name).Append(": ").Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>Envoy's <c>/stats/prometheus</c>: <c>envoy_</c> names with the cluster, listener or connection manager as a label.</summary>
    public string RenderPrometheus()
    {
        var text = new StringBuilder();
        string? lastFamily = null;
        foreach (var (family, labels, value, isGauge) in Snapshot().Select(s => PrometheusName(s.Key, s.Value, s.IsGauge)).OrderBy(s => s.Family, StringComparer.Ordinal).ThenBy(s => s.Labels, StringComparer.Ordinal))
        {
            if (family != lastFamily)
            {
                text.Append("# TYPE ").Append(family).Append(isGauge ? " gauge\n" : " counter\n");
                lastFamily = family;
            }

            text.Append(family).Append(labels).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Envoy's tag names for the scopes it tags.</summary>
    internal static (string Family, string Labels, long Value, bool IsGauge) PrometheusName(StatKey key, long value, bool isGauge)
    {
        var label = key.Scope switch
        {
            "cluster" => "envoy_cluster_name",
            "http" => "envoy_http_conn_manager_prefix",
            "listener" => "envoy_listener_address",
            "tcp" => "envoy_tcp_prefix",
            _ => null,
        };
        return label == null
            ? ("envoy_" + Sanitize(key.FullName), string.Empty, value, isGauge)
            : ($"envoy_{key.Scope}_{Sanitize(key.Stat)}", $"{{{label}=\"{Escape(key.ScopeName)}\"}}", value, isGauge);
    }

    private static string Sanitize(string name)
    {
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!char.IsAsciiLetterOrDigit(chars[i]))
            {
                chars[i] = '_';
            }
        }

        return new string(chars);
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
