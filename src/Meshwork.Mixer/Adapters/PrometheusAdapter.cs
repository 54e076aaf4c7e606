using System.Globalization;
using Meshwork.Mixer.Runtime;
using Prometheus;

namespace Meshwork.Mixer.Adapters;

/// <summary>
/// Istio's prometheus adapter: each metric instance named in <c>metrics[].instanceName</c> updates one series of a
/// COUNTER, GAUGE or DISTRIBUTION (<c>istio_&lt;name&gt;</c> by default), labelled by the instance's dimensions.
/// Series are registered on the host's registry, which meshd serves on its monitoring /metrics.
/// </summary>
public sealed class PrometheusAdapter : IReportAdapter
{
    private readonly Dictionary<string, (Collector Collector, string[] Labels)> _byInstance;

    private PrometheusAdapter(string name, Dictionary<string, (Collector, string[])> byInstance)
    {
        Name = name;
        _byInstance = byInstance;
    }

    public string Name { get; }

    public static PrometheusAdapter Create(string name, ParamsNode p, CollectorRegistry registry)
    {
        p.AllowOnly("metrics", "metricsExpirationPolicy");
        var factory = Metrics.WithCustomRegistry(registry);
        var byInstance = new Dictionary<string, (Collector, string[])>(StringComparer.Ordinal);
        foreach (var m in p["metrics"].Items)
        {
            m.AllowOnly("name", "namespace", "instanceName", "description", "kind", "labelNames", "buckets");
            var metricName = m["name"].String() ?? throw m["name"].Error("required");
            var instance = m["instanceName"].String() ?? throw m["instanceName"].Error("required: the metric instance that feeds this series");
            var ns = m["namespace"].String() ?? "istio";
            var full = ns.Length > 0 ? $"{ns}_{metricName}" : metricName;
            var labels = m["labelNames"].Strings().ToArray();
            var help = m["description"].String() ?? metricName;
            var kind = m["kind"].String() ?? throw m["kind"].Error("required: COUNTER, GAUGE or DISTRIBUTION");
            Collector collector = kind switch
            {
                "COUNTER" => factory.CreateCounter(full, help, labels),
                "GAUGE" => factory.CreateGauge(full, help, labels),
                "DISTRIBUTION" => factory.CreateHistogram(full, help, new HistogramConfiguration { LabelNames = labels, Buckets = Buckets(m["buckets"]) }),
                _ => throw m["kind"].Error($"expected COUNTER, GAUGE or DISTRIBUTION, got \"{kind}\""),
            };
            byInstance[instance] = (collector, labels);
        }

        return new PrometheusAdapter(name, byInstance);
    }

    private static double[] Buckets(ParamsNode b)
    {
        if (b["explicitBuckets"]["bounds"].IsSet)
        {
            return b["explicitBuckets"]["bounds"].Strings().Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        }

        if (b["exponentialBuckets"].IsSet)
        {
            var e = b["exponentialBuckets"];
            return Histogram.ExponentialBuckets(double.Parse(e["scale"].String() ?? "1", CultureInfo.InvariantCulture), double.Parse(e["growthFactor"].String() ?? "2", CultureInfo.InvariantCulture), (int)e["numFiniteBuckets"].Long(10));
        }

        if (b["linearBuckets"].IsSet)
        {
            var l = b["linearBuckets"];
            return Histogram.LinearBuckets(double.Parse(l["offset"].String() ?? "0", CultureInfo.InvariantCulture), double.Parse(l["width"].String() ?? "1", CultureInfo.InvariantCulture), (int)l["numFiniteBuckets"].Long(10));
        }

        return Histogram.ExponentialBuckets(0.001, 2, 16);
    }

    public void Report(IReadOnlyList<InstanceValue> instances)
    {
        foreach (var instance in instances)
        {
            if (!_byInstance.TryGetValue(instance.Name, out var series) && !_byInstance.TryGetValue(instance.Name.Split('.')[0], out series))
            {
                continue;
            }

            var dims = instance.Map("dimensions");
            var labels = series.Labels.Select(l => dims.TryGetValue(l, out var v) ? Label(v) : "unknown").ToArray();
            var value = instance.Field("value") switch
            {
                long l => l,
                double d => d,
                TimeSpan t => t.TotalSeconds,
                bool b => b ? 1 : 0,
                _ => 1,
            };
            switch (series.Collector)
            {
                case Counter c:
                    c.WithLabels(labels).Inc(value);
                    break;
                case Gauge g:
                    g.WithLabels(labels).Set(value);
                    break;
                case Histogram h:
                    h.WithLabels(labels).Observe(value);
                    break;
            }
        }
    }

    private static string Label(object value) => value switch
    {
        TimeSpan t => t.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
