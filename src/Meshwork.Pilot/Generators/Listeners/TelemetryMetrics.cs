using System.Collections.Immutable;
using Istio.Stats;
using Meshwork.Config.Telemetry;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Generators.Listeners;

/// <summary>
/// The metrics half of the Telemetry resources that apply to one proxy (Istio's mergeMetrics) as
/// <see cref="Telemetries"/> selects them: root namespace, namespace, workload, each level's
/// overrides applied in order over the one before, per side and per metric: <c>disabled</c> as the
/// last one set says, tag overrides merged by tag name with the later one winning. What comes out
/// is, per side (client: outbound listeners and gateways; server: inbound), the stats filter's
/// <c>metrics</c> entries sorted by metric name: drop, <c>dimensions</c> (UPSERT: tag → CEL
/// expression) and <c>tags_to_remove</c> (REMOVE). Only the Prometheus provider is Meshwork's;
/// entries naming other providers only are skipped.
/// </summary>
internal sealed record TelemetryMetrics(IReadOnlyList<MetricOverride> Client, IReadOnlyList<MetricOverride> Server)
{
    public const string PrometheusProvider = "prometheus";

    public static readonly TelemetryMetrics Default = new([], []);

    /// <summary>Istio's metric names in the stats filter, per selector value.</summary>
    private static readonly Dictionary<IstioMetric, string> Names = new()
    {
        [IstioMetric.RequestCount] = "requests_total",
        [IstioMetric.RequestDuration] = "request_duration_milliseconds",
        [IstioMetric.RequestSize] = "request_bytes",
        [IstioMetric.ResponseSize] = "response_bytes",
        [IstioMetric.TcpOpenedConnections] = "tcp_connections_opened_total",
        [IstioMetric.TcpClosedConnections] = "tcp_connections_closed_total",
        [IstioMetric.TcpSentBytes] = "tcp_sent_bytes_total",
        [IstioMetric.TcpReceivedBytes] = "tcp_received_bytes_total",
        [IstioMetric.GrpcRequestMessages] = "request_messages_total",
        [IstioMetric.GrpcResponseMessages] = "response_messages_total",
    };

    /// <summary>The metrics disabled on the client side (by stats filter name).</summary>
    public IReadOnlySet<string> ClientDisabled => Client.Where(m => m.Disabled).Select(m => m.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>The metrics disabled on the server side (by stats filter name).</summary>
    public IReadOnlySet<string> ServerDisabled => Server.Where(m => m.Disabled).Select(m => m.Name).ToHashSet(StringComparer.Ordinal);

    public static TelemetryMetrics For(MeshSnapshot snapshot, ProxyNode proxy)
    {
        var levels = Telemetries.Applicable(snapshot, proxy.Namespace, proxy.Labels);
        if (levels.Count == 0)
        {
            return Default;
        }

        var client = new SortedDictionary<string, Merged>(StringComparer.Ordinal);
        var server = new SortedDictionary<string, Merged>(StringComparer.Ordinal);
        foreach (var level in levels)
        {
            foreach (var metrics in level.Metrics.Where(m => m.Providers.IsEmpty || m.Providers.Any(p => p.Name == PrometheusProvider)))
            {
                foreach (var over in metrics.Overrides)
                {
                    var mode = over.Match?.Mode ?? WorkloadMode.ClientAndServer;
                    foreach (var name in Selected(over.Match))
                    {
                        if (mode != WorkloadMode.Server)
                        {
                            Apply(client, name, over);
                        }

                        if (mode != WorkloadMode.Client)
                        {
                            Apply(server, name, over);
                        }
                    }
                }
            }
        }

        return new TelemetryMetrics(client.Select(Finish).ToArray(), server.Select(Finish).ToArray());
    }

    /// <summary>The stats filter's <c>metrics</c> entries for one side, as Istio writes them.</summary>
    public static IEnumerable<MetricConfig> ToStatsConfig(IReadOnlyList<MetricOverride> side) => side.Select(m =>
    {
        var config = new MetricConfig { Name = m.Name, Drop = m.Disabled };
        foreach (var (tag, value) in m.Tags)
        {
            if (value == null)
            {
                config.TagsToRemove.Add(tag);
            }
            else
            {
                config.Dimensions[tag] = value;
            }
        }

        return config;
    });

    /// <summary>A custom metric by its name; a standard one (or all of them when none is named) by its stats filter name.</summary>
    private static IEnumerable<string> Selected(MetricSelector? match) =>
        match?.CustomMetric is { } custom ? [custom]
        : match?.Metric is { } metric && metric != IstioMetric.AllMetrics ? [Names[metric]]
        : Names.Values;

    private static void Apply(SortedDictionary<string, Merged> side, string name, MetricsOverrides over)
    {
        if (!side.TryGetValue(name, out var merged))
        {
            side[name] = merged = new Merged();
        }

        merged.Disabled = over.Disabled ?? merged.Disabled;
        foreach (var (tag, value) in over.TagOverrides)
        {
            if (value != null)
            {
                merged.Tags[tag] = value.Operation == TagOperation.Remove ? null : value.Value;
            }
        }
    }

    private static MetricOverride Finish(KeyValuePair<string, Merged> entry) =>
        new(entry.Key, entry.Value.Disabled == true, entry.Value.Tags.ToImmutableSortedDictionary(StringComparer.Ordinal));

    private sealed class Merged
    {
        public bool? Disabled { get; set; }

        public SortedDictionary<string, string?> Tags { get; } = new(StringComparer.Ordinal);
    }
}

/// <summary>One metric's merged overrides on one side: dropped or not, and its tags (a null value removes the tag; otherwise a CEL expression).</summary>
internal sealed record MetricOverride(string Name, bool Disabled, ImmutableSortedDictionary<string, string?> Tags);
