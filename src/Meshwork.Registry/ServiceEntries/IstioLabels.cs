using Meshwork.Config.Values;
using Meshwork.Registry.Model;

namespace Meshwork.Registry.ServiceEntries;

/// <summary>The labels and annotations Istio gives meaning to on workloads, and the rules it reads them by.</summary>
public static class IstioLabels
{
    public const string TlsMode = "security.istio.io/tlsMode";
    public const string TlsModeIstio = "istio";
    public const string Locality = "istio-locality";
    public const string TopologyLocality = "topology.istio.io/locality";
    public const string TopologyRegion = "topology.kubernetes.io/region";
    public const string TopologyZone = "topology.kubernetes.io/zone";
    public const string TopologySubzone = "topology.istio.io/subzone";
    public const string TopologyNetwork = "topology.istio.io/network";

    /// <summary>With <c>true</c>, a WorkloadEntry counts as unhealthy until a probe reports it healthy in its status.</summary>
    public const string HealthChecksEnabledAnnotation = "proxy.istio.io/health-checks-enabled";

    /// <summary>
    /// Istio's getTLSModeFromWorkloadEntry: the <c>security.istio.io/tlsMode</c> label when present,
    /// else Istio mTLS when a service account is named, else disabled.
    /// </summary>
    public static EndpointTlsMode TlsModeOf(ValueMap<string, string> labels, string serviceAccount)
    {
        if (labels.TryGetValue(TlsMode, out var mode))
        {
            return mode == TlsModeIstio ? EndpointTlsMode.Istio : EndpointTlsMode.Disabled;
        }

        return serviceAccount.Length > 0 ? EndpointTlsMode.Istio : EndpointTlsMode.Disabled;
    }

    /// <summary>The locality as written, else from the locality label (dots stand for slashes, as Kubernetes labels cannot hold <c>/</c>).</summary>
    public static string LocalityOf(string locality, ValueMap<string, string> labels)
    {
        if (locality.Length > 0)
        {
            return locality;
        }

        if (labels.TryGetValue(TopologyLocality, out var topology) && topology.Length > 0)
        {
            return topology.Replace('.', '/');
        }

        return labels.TryGetValue(Locality, out var label) ? label.Replace('.', '/') : string.Empty;
    }

    /// <summary>Istio's AugmentLabels: the workload's labels plus region, zone, subzone and (unless labelled already) network.</summary>
    public static ValueMap<string, string> WithTopology(ValueMap<string, string> labels, string locality, string network)
    {
        var parts = locality.Length == 0 ? [] : locality.Split('/');
        var extra = new List<KeyValuePair<string, string>>();
        AddIfSet(extra, TopologyRegion, parts.ElementAtOrDefault(0));
        AddIfSet(extra, TopologyZone, parts.ElementAtOrDefault(1));
        AddIfSet(extra, TopologySubzone, parts.ElementAtOrDefault(2));
        if (network.Length > 0 && labels.GetValueOrDefault(TopologyNetwork, string.Empty).Length == 0)
        {
            extra.Add(KeyValuePair.Create(TopologyNetwork, network));
        }

        if (extra.Count == 0)
        {
            return labels;
        }

        var overridden = extra.Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        return new ValueMap<string, string>(labels.Where(l => !overridden.Contains(l.Key)).Concat(extra));
    }

    /// <summary>Merges <paramref name="overrides"/> over <paramref name="labels"/> (Istio gives a WorkloadEntry's metadata labels precedence over its spec labels).</summary>
    public static ValueMap<string, string> Merge(ValueMap<string, string> labels, ValueMap<string, string> overrides)
    {
        if (overrides.IsEmpty)
        {
            return labels;
        }

        return new ValueMap<string, string>(labels.Where(l => !overrides.ContainsKey(l.Key)).Concat(overrides));
    }

    /// <summary>Istio's labels.Instance.SubsetOf: every selector label present with the same value; an empty selector selects all.</summary>
    public static bool Selects(ValueMap<string, string> selector, ValueMap<string, string> labels) =>
        selector.All(s => labels.TryGetValue(s.Key, out var value) && value == s.Value);

    private static void AddIfSet(List<KeyValuePair<string, string>> into, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            into.Add(KeyValuePair.Create(key, value));
        }
    }
}
