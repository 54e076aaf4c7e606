using Prometheus;

namespace Meshwork.Pilot.Xds;

/// <summary>Pilot's xDS metrics, with Istio's names so its dashboards work unchanged.</summary>
public static class XdsMetrics
{
    public static readonly Counter Pushes = Metrics.CreateCounter("pilot_xds_pushes", "Pilot build and send errors for lds, rds, cds and eds.", "type");

    public static readonly Counter Rejects = Metrics.CreateCounter("pilot_total_xds_rejects", "Total number of xDS responses from pilot rejected by proxy.", "type");

    public static readonly Gauge Connected = Metrics.CreateGauge("pilot_xds", "Number of endpoints connected to this pilot using XDS.", "version");

    public static readonly Histogram Convergence = Metrics.CreateHistogram(
        "pilot_proxy_convergence_time",
        "Delay in seconds between config change and a proxy receiving all required configuration.",
        new HistogramConfiguration { Buckets = [.01, .1, .5, 1, 3, 5, 10, 20, 30] });

    public static readonly Counter ExpiredNonces = Metrics.CreateCounter("pilot_xds_expired_nonce", "Total number of xDS requests with an expired nonce.", "type");

    public static readonly Counter PushTriggers = Metrics.CreateCounter("pilot_push_triggers", "Total number of times a push was triggered, labeled by reason.", "type");

    /// <summary>Istio also exports per-type reject counters (pilot_xds_cds_reject, ...).</summary>
    private static readonly Dictionary<string, Counter> TypeRejects = new()
    {
        ["CDS"] = Metrics.CreateCounter("pilot_xds_cds_reject", "Pilot rejected CDS."),
        ["EDS"] = Metrics.CreateCounter("pilot_xds_eds_reject", "Pilot rejected EDS."),
        ["LDS"] = Metrics.CreateCounter("pilot_xds_lds_reject", "Pilot rejected LDS."),
        ["RDS"] = Metrics.CreateCounter("pilot_xds_rds_reject", "Pilot rejected RDS."),
    };

    public static void Reject(string shortType)
    {
        Rejects.WithLabels(shortType.ToLowerInvariant()).Inc();
        if (TypeRejects.TryGetValue(shortType, out var counter))
        {
            counter.Inc();
        }
    }
}
