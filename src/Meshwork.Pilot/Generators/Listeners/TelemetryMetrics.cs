using Meshwork.Config.Telemetry;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Generators.Listeners;

/// <summary>
/// The metrics half of the Telemetry resources that apply to one proxy (Istio's
/// computeMetrics) as <see cref="Telemetries"/> selects them: root namespace, namespace, workload,
/// each level's overrides applied in order over the one before, so the most specific wins. What
/// comes out is which standard metrics are disabled on the client side (outbound listeners and
/// gateways) and on the server side (inbound), as names of Istio's stats filter
/// (<c>requests_total</c>, ...). Only the Prometheus provider is Meshwork's; entries naming
/// other providers only are skipped. Tag overrides are not applied (the proxy keeps Istio's labels).
/// </summary>
internal sealed record TelemetryMetrics(IReadOnlySet<string> ClientDisabled, IReadOnlySet<string> ServerDisabled)
{
    public const string PrometheusProvider = "prometheus";

    public static readonly TelemetryMetrics Default = new(new HashSet<string>(), new HashSet<string>());

    /// <summary>Istio's metric names in the stats filter, per selector value.</summary>
    private static readonly Dictionary<IstioMetric, string[]> Names = new()
    {
        [IstioMetric.RequestCount] = ["requests_total"],
        [IstioMetric.RequestDuration] = ["request_duration_milliseconds"],
        [IstioMetric.RequestSize] = ["request_bytes"],
        [IstioMetric.ResponseSize] = ["response_bytes"],
        [IstioMetric.TcpOpenedConnections] = ["tcp_connections_opened_total"],
        [IstioMetric.TcpClosedConnections] = ["tcp_connections_closed_total"],
        [IstioMetric.TcpSentBytes] = ["tcp_sent_bytes_total"],
        [IstioMetric.TcpReceivedBytes] = ["tcp_received_bytes_total"],
        [IstioMetric.GrpcRequestMessages] = ["request_messages_total"],
        [IstioMetric.GrpcResponseMessages] = ["response_messages_total"],
    };

    public static TelemetryMetrics For(MeshSnapshot snapshot, ProxyNode proxy)
    {
        var levels = Telemetries.Applicable(snapshot, proxy.Namespace, proxy.Labels);
        if (levels.Count == 0)
        {
            return Default;
        }

        var client = new HashSet<string>(StringComparer.Ordinal);
        var server = new HashSet<string>(StringComparer.Ordinal);
        foreach (var level in levels)
        {
            foreach (var metrics in level.Metrics.Where(m => m.Providers.IsEmpty || m.Providers.Any(p => p.Name == PrometheusProvider)))
            {
                foreach (var over in metrics.Overrides.Where(o => o.Disabled != null))
                {
                    var selected = over.Match?.Metric is { } metric && metric != IstioMetric.AllMetrics ? Names[metric] : Names.Values.SelectMany(n => n);
                    var mode = over.Match?.Mode ?? WorkloadMode.ClientAndServer;
                    foreach (var name in selected)
                    {
                        if (mode != WorkloadMode.Server)
                        {
                            Set(client, name, over.Disabled!.Value);
                        }

                        if (mode != WorkloadMode.Client)
                        {
                            Set(server, name, over.Disabled!.Value);
                        }
                    }
                }
            }
        }

        return new TelemetryMetrics(client, server);
    }

    private static void Set(HashSet<string> disabled, string name, bool off)
    {
        if (off)
        {
            disabled.Add(name);
        }
        else
        {
            disabled.Remove(name);
        }
    }
}
