using System.Collections.Frozen;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Istio.Mixer.V1.Config.Client;
using Meshwork.Proxy.Stats;

namespace Meshwork.Proxy.Mixer;

/// <summary>
/// Istio's HTTP Mixer filter (<c>mixer</c>, or <c>envoy.filters.http.mixer</c>; typed config
/// istio.mixer.v1.config.client.HttpClientConfig) compiled when its listener arrives: the check and
/// report clusters, the fail policy, the cache and batch settings (Istio's defaults where the config
/// is silent), and per destination service its attributes, whether it is checked and reported, and
/// its quota rules. It owns the listener's check cache, quota cache and report batch, which live as
/// long as the listener does.
/// </summary>
internal sealed class MixerFilterPlan
{
    public const string Name = "mixer";
    public const string EnvoyName = "envoy.filters.http.mixer";

    /// <summary>Istio's mixerclient defaults: 100 reports or 1 s per batch, 10000 cached checks.</summary>
    public const int DefaultReportBatchMaxEntries = 100;

    public static readonly TimeSpan DefaultReportBatchMaxTime = TimeSpan.FromSeconds(1);

    public const int CheckCacheEntries = 10000;

    /// <summary>How long a Check (or Report) may take before the network fail policy decides; Istio bounded its Mixer calls too.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);

    private MixerFilterPlan(HttpClientConfig config, string where, StatsStore stats)
    {
        var transport = config.Transport ?? new TransportConfig();
        CheckCluster = transport.CheckCluster.Length > 0 ? transport.CheckCluster : "mixer_server";
        ReportCluster = transport.ReportCluster.Length > 0 ? transport.ReportCluster : "mixer_server";
        FailOpen = transport.NetworkFailPolicy?.Policy != NetworkFailPolicy.Types.FailPolicy.FailClose;
        IgnoreForwardedAttributes = config.IgnoreForwardedAttributes;
        Cache = transport.DisableCheckCache ? null : new CheckCache(CheckCacheEntries);
        Quotas = transport.DisableQuotaCache ? null : new QuotaCache();
        var maxEntries = transport.DisableReportBatch ? 1 : transport.ReportBatchMaxEntries > 0 ? (int)transport.ReportBatchMaxEntries : DefaultReportBatchMaxEntries;
        var maxTime = transport.ReportBatchMaxTime is { } t && t.ToTimeSpan() > TimeSpan.Zero ? t.ToTimeSpan() : DefaultReportBatchMaxTime;
        Reports = new ReportBatch(maxEntries, maxTime);
        Stats = new MixerStats(stats);

        var defaults = AttributeValues.From(config.MixerAttributes, $"{where}.mixer_attributes");
        var services = new Dictionary<string, MixerServicePlan>(StringComparer.Ordinal);
        foreach (var (host, service) in config.ServiceConfigs)
        {
            services[host] = MixerServicePlan.Compile(service, defaults, FailOpen, $"{where}.service_configs[\"{host}\"]");
        }

        Services = services.ToFrozenDictionary(StringComparer.Ordinal);
        Default = config.DefaultDestinationService.Length > 0 && services.TryGetValue(config.DefaultDestinationService, out var chosen)
            ? chosen
            : MixerServicePlan.Compile(new ServiceConfig(), defaults, FailOpen, where);
    }

    public string CheckCluster { get; }

    public string ReportCluster { get; }

    /// <summary>The mesh-level policy (TransportConfig.network_fail_policy); a service's own policy wins.</summary>
    public bool FailOpen { get; }

    public bool IgnoreForwardedAttributes { get; }

    /// <summary>The check cache keyed by referenced attributes; null when disable_check_cache.</summary>
    public CheckCache? Cache { get; }

    /// <summary>Quota prefetched from Mixer; null when disable_quota_cache (each request then asks for its own charge).</summary>
    public QuotaCache? Quotas { get; }

    public ReportBatch Reports { get; }

    public MixerStats Stats { get; }

    public FrozenDictionary<string, MixerServicePlan> Services { get; }

    /// <summary>The service of default_destination_service, which Pilot names for each inbound listener.</summary>
    public MixerServicePlan Default { get; }

    public static bool IsMixer(HttpFilter filter) => filter.Name is Name or EnvoyName;

    public static MixerFilterPlan? Compile(HttpConnectionManager manager, string where, StatsStore stats)
    {
        var filter = manager.HttpFilters.FirstOrDefault(IsMixer);
        if (filter == null)
        {
            return null;
        }

        where = $"{where}: http_filters[\"{filter.Name}\"]";
        if (filter.TypedConfig == null || !filter.TypedConfig.TryUnpack<HttpClientConfig>(out var config))
        {
            throw new ProxyConfigException($"{where}.typed_config: must be istio.mixer.v1.config.client.HttpClientConfig, got \"{filter.TypedConfig?.TypeUrl}\"");
        }

        return new MixerFilterPlan(config, where, stats);
    }
}

/// <summary>One destination service's share of the Mixer filter: its attributes (the filter's defaults with its own on top), what is called, and its quota rules.</summary>
internal sealed class MixerServicePlan
{
    private MixerServicePlan(KeyValuePair<string, object>[] attributes, bool disableCheck, bool disableReport, bool failOpen, QuotaRulePlan[] quotas)
    {
        Attributes = attributes;
        DisableCheck = disableCheck;
        DisableReport = disableReport;
        FailOpen = failOpen;
        QuotaRules = quotas;
    }

    /// <summary>What Pilot says about the destination (destination.*, context.reporter.*), sent with every Check and Report.</summary>
    public KeyValuePair<string, object>[] Attributes { get; }

    public bool DisableCheck { get; }

    public bool DisableReport { get; }

    public bool FailOpen { get; }

    public QuotaRulePlan[] QuotaRules { get; }

    public static MixerServicePlan Compile(ServiceConfig service, IReadOnlyDictionary<string, object> defaults, bool failOpen, string where)
    {
        var merged = new Dictionary<string, object>(defaults, StringComparer.Ordinal);
        foreach (var (name, value) in AttributeValues.From(service.MixerAttributes, $"{where}.mixer_attributes"))
        {
            merged[name] = value;
        }

        var rules = service.QuotaSpec
            .SelectMany((spec, s) => spec.Rules.Select((rule, r) => QuotaRulePlan.Compile(rule, $"{where}.quota_spec[{s}].rules[{r}]")))
            .ToArray();
        var policy = service.NetworkFailPolicy is { } own ? own.Policy != NetworkFailPolicy.Types.FailPolicy.FailClose : failOpen;
        return new MixerServicePlan(merged.ToArray(), service.DisableCheckCalls, service.DisableReportCalls, policy, rules);
    }

    /// <summary>The quotas a request charges: every rule whose matches hold (or that has none), charges of one quota added up.</summary>
    public List<(string Quota, long Charge)>? QuotasFor(IReadOnlyDictionary<string, object> attributes)
    {
        List<(string Quota, long Charge)>? result = null;
        foreach (var rule in QuotaRules)
        {
            if (!rule.Matches(attributes))
            {
                continue;
            }

            foreach (var (quota, charge) in rule.Quotas)
            {
                result ??= [];
                var at = result.FindIndex(q => q.Quota == quota);
                if (at >= 0)
                {
                    result[at] = (quota, result[at].Charge + charge);
                }
                else
                {
                    result.Add((quota, charge));
                }
            }
        }

        return result;
    }
}
