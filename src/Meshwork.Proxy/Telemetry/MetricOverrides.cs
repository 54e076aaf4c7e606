using System.Text.RegularExpressions;
using Istio.Stats;
using Meshwork.Proxy.Telemetry.Cel;

namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// A stats filter's <c>metrics</c> overrides compiled once per config, as istio/proxy applies them:
/// a dropped metric is never recorded; otherwise <c>tags_to_remove</c> takes standard tags out,
/// a <c>dimensions</c> entry naming a standard tag replaces its value and one naming a new tag is
/// appended (new tags sorted by name). Each distinct CEL expression is compiled once; per request
/// each is evaluated once (an evaluation error gives "unknown", as istio/proxy). Each metric's label
/// layout is fixed here, so the request path only fills in values. <see cref="None"/> (no
/// overrides) keeps recording on the standard series with no extra work.
/// </summary>
internal sealed class MetricOverrides
{
    public static readonly MetricOverrides None = new(StandardMetric.None, new LabelLayout?[8], []);

    private static readonly Dictionary<string, StandardMetric> Metrics = new(StringComparer.Ordinal)
    {
        ["requests_total"] = StandardMetric.RequestsTotal,
        ["request_duration_milliseconds"] = StandardMetric.RequestDuration,
        ["request_bytes"] = StandardMetric.RequestBytes,
        ["response_bytes"] = StandardMetric.ResponseBytes,
        ["tcp_connections_opened_total"] = StandardMetric.TcpOpened,
        ["tcp_connections_closed_total"] = StandardMetric.TcpClosed,
        ["tcp_sent_bytes_total"] = StandardMetric.TcpSentBytes,
        ["tcp_received_bytes_total"] = StandardMetric.TcpReceivedBytes,
    };

    private static readonly HashSet<string> StandardTags = new(StandardLabels.Names, StringComparer.Ordinal);

    private readonly LabelLayout?[] _layouts;
    private readonly Func<AccessLogRecord, object?>[] _expressions;

    private MetricOverrides(StandardMetric dropped, LabelLayout?[] layouts, Func<AccessLogRecord, object?>[] expressions)
    {
        Dropped = dropped;
        _layouts = layouts;
        _expressions = expressions;
        for (var i = 0; i < layouts.Length; i++)
        {
            Relabelled |= layouts[i] != null ? (StandardMetric)(1 << i) : StandardMetric.None;
        }
    }

    /// <summary>The metrics never recorded.</summary>
    public StandardMetric Dropped { get; }

    /// <summary>The recorded metrics whose labels differ from the standard set (they are recorded on their own series, not the standard one).</summary>
    public StandardMetric Relabelled { get; }

    /// <summary>The label layout of one metric (one flag), or null when it keeps the standard labels.</summary>
    public LabelLayout? Layout(StandardMetric metric) => _layouts[System.Numerics.BitOperations.Log2((uint)metric)];

    public static MetricOverrides Compile(PluginConfig config, string where)
    {
        if (config.Metrics.Count == 0)
        {
            return None;
        }

        var dropped = StandardMetric.None;
        var changed = new Dictionary<string, int?>[8];
        var added = new List<(string Tag, int Expression)>[8];
        var expressions = new List<Func<AccessLogRecord, object?>>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < config.Metrics.Count; i++)
        {
            var metric = config.Metrics[i];
            var at = $"{where}: metrics[{i}]";
            if (metric.Match.Length > 0)
            {
                throw new ProxyConfigException($"{at}: match is not supported by mesh-proxy");
            }

            // An empty name means every metric; a name mesh-proxy does not record (gRPC message
            // counts, a custom metric it has no definition of) changes nothing, as in istio/proxy.
            var targets = metric.Name.Length == 0 ? (StandardMetric)0xFF : Metrics.GetValueOrDefault(metric.Name);
            if (metric.Drop)
            {
                dropped |= targets;
                continue;
            }

            foreach (var tag in metric.TagsToRemove.Where(StandardTags.Contains))
            {
                ForEach(targets, m => (changed[m] ??= new(StringComparer.Ordinal))[tag] = null);
            }

            foreach (var (tag, text) in metric.Dimensions.OrderBy(d => d.Key, StringComparer.Ordinal))
            {
                if (!ids.TryGetValue(text, out var id))
                {
                    expressions.Add(CelFilter.CompileValue(text, $"{at}: dimensions[\"{tag}\"] of metric \"{(metric.Name.Length > 0 ? metric.Name : "*")}\""));
                    id = ids[text] = expressions.Count - 1;
                }

                ForEach(targets, m =>
                {
                    if (StandardTags.Contains(tag))
                    {
                        (changed[m] ??= new(StringComparer.Ordinal))[tag] = id;
                        return;
                    }

                    var list = added[m] ??= [];
                    var existing = list.FindIndex(a => a.Tag == tag);
                    if (existing >= 0)
                    {
                        list[existing] = (tag, id);
                    }
                    else
                    {
                        list.Add((tag, id));
                    }
                });
            }
        }

        var layouts = new LabelLayout?[8];
        var distinct = new List<LabelLayout>();
        for (var m = 0; m < 8; m++)
        {
            if ((dropped & (StandardMetric)(1 << m)) != 0 || (changed[m] == null && added[m] == null))
            {
                continue;
            }

            var layout = LabelLayout.Build(m < 4 ? StandardLabels.Names.Length : StandardLabels.TcpCount, changed[m], added[m]);
            layouts[m] = distinct.Find(layout.SameAs) ?? layout;
            if (ReferenceEquals(layouts[m], layout))
            {
                distinct.Add(layout);
            }
        }

        return new MetricOverrides(dropped, layouts, expressions.ToArray());
    }

    /// <summary>Each expression's value for one request or connection, printed as Envoy prints CEL values; "unknown" where evaluation fails.</summary>
    public string[] Evaluate(AccessLogRecord record)
    {
        var values = new string[_expressions.Length];
        for (var i = 0; i < values.Length; i++)
        {
            try
            {
                values[i] = CelValues.Print(_expressions[i](record));
            }
            catch (Exception e) when (e is CelError or OverflowException or RegexMatchTimeoutException or InvalidCastException)
            {
                values[i] = StandardLabels.Unknown;
            }
        }

        return values;
    }

    /// <summary>Records one finished request on the relabelled HTTP metrics (the standard series skips them).</summary>
    public void RecordRequest(IstioMetrics metrics, StandardLabels standard, AccessLogRecord record, double durationMs, long requestBytes, long responseBytes)
    {
        var evaluated = Evaluate(record);
        LabelLayout? last = null;
        MetricLabels? labels = null;
        for (var metric = StandardMetric.RequestsTotal; metric <= StandardMetric.ResponseBytes; metric = (StandardMetric)((int)metric << 1))
        {
            if (Layout(metric) is not { } layout)
            {
                continue;
            }

            if (!ReferenceEquals(layout, last))
            {
                (last, labels) = (layout, layout.Apply(standard.Values, evaluated));
            }

            var series = metrics.Relabelled(metric, labels!);
            switch (metric)
            {
                case StandardMetric.RequestsTotal: Interlocked.Increment(ref series.Value); break;
                case StandardMetric.RequestDuration: series.Histogram!.Record(durationMs); break;
                case StandardMetric.RequestBytes: series.Histogram!.Record(requestBytes); break;
                default: series.Histogram!.Record(responseBytes); break;
            }
        }
    }

    private static void ForEach(StandardMetric targets, Action<int> apply)
    {
        for (var m = 0; m < 8; m++)
        {
            if ((targets & (StandardMetric)(1 << m)) != 0)
            {
                apply(m);
            }
        }
    }
}

/// <summary>
/// One metric's labels under tag overrides: the names in output order and, for each, where its
/// value comes from: a standard label (by index) or an evaluated expression (by id, stored as ~id).
/// </summary>
internal sealed class LabelLayout
{
    private readonly int[] _sources;

    private LabelLayout(string[] names, int[] sources)
    {
        Names = names;
        _sources = sources;
    }

    public string[] Names { get; }

    /// <summary>Standard tags in istio/proxy's order (removed ones left out, changed ones from their expression), then the added tags.</summary>
    public static LabelLayout Build(int standardCount, Dictionary<string, int?>? changed, List<(string Tag, int Expression)>? added)
    {
        var names = new List<string>();
        var sources = new List<int>();
        for (var i = 0; i < standardCount; i++)
        {
            var name = StandardLabels.Names[i];
            if (changed != null && changed.TryGetValue(name, out var expression))
            {
                if (expression is not { } id)
                {
                    continue;
                }

                sources.Add(~id);
            }
            else
            {
                sources.Add(i);
            }

            names.Add(name);
        }

        foreach (var (tag, id) in added ?? [])
        {
            names.Add(tag);
            sources.Add(~id);
        }

        return new LabelLayout(names.ToArray(), sources.ToArray());
    }

    public bool SameAs(LabelLayout other) => Names.AsSpan().SequenceEqual(other.Names) && _sources.AsSpan().SequenceEqual(other._sources);

    /// <summary>The labels of one observation, from the standard values and the evaluated expressions.</summary>
    public MetricLabels Apply(string[] standard, string[] evaluated)
    {
        var values = new string[_sources.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var source = _sources[i];
            values[i] = source >= 0 ? standard[source] : evaluated[~source];
        }

        return new MetricLabels(Names, values);
    }
}
