using Meshwork.Proxy.Stats;

namespace Meshwork.Proxy.Mixer;

/// <summary>The Mixer filter's counters under Istio's names (<c>http_mixer_filter.total_*</c>), shared by every Mixer filter of the proxy as Istio's were.</summary>
internal sealed class MixerStats(StatsStore store)
{
    private const string Prefix = "http_mixer_filter.";

    public Counter CheckCalls { get; } = store.Counter(Prefix + "total_check_calls");

    public Counter CheckCacheHits { get; } = store.Counter(Prefix + "total_check_cache_hits");

    public Counter CheckCacheMisses { get; } = store.Counter(Prefix + "total_check_cache_misses");

    public Counter CheckCacheHitAccepts { get; } = store.Counter(Prefix + "total_check_cache_hit_accepts");

    public Counter CheckCacheHitDenies { get; } = store.Counter(Prefix + "total_check_cache_hit_denies");

    public Counter RemoteCheckCalls { get; } = store.Counter(Prefix + "total_remote_check_calls");

    public Counter RemoteCheckAccepts { get; } = store.Counter(Prefix + "total_remote_check_accepts");

    public Counter RemoteCheckDenies { get; } = store.Counter(Prefix + "total_remote_check_denies");

    public Counter QuotaCalls { get; } = store.Counter(Prefix + "total_quota_calls");

    public Counter QuotaCacheHits { get; } = store.Counter(Prefix + "total_quota_cache_hits");

    public Counter QuotaCacheMisses { get; } = store.Counter(Prefix + "total_quota_cache_misses");

    public Counter RemoteQuotaCalls { get; } = store.Counter(Prefix + "total_remote_quota_calls");

    public Counter RemoteQuotaDenies { get; } = store.Counter(Prefix + "total_remote_quota_denies");

    public Counter RemoteCallSuccesses { get; } = store.Counter(Prefix + "total_remote_call_successes");

    public Counter RemoteCallTimeouts { get; } = store.Counter(Prefix + "total_remote_call_timeouts");

    public Counter RemoteCallSendErrors { get; } = store.Counter(Prefix + "total_remote_call_send_errors");

    public Counter ReportCalls { get; } = store.Counter(Prefix + "total_report_calls");

    public Counter RemoteReportCalls { get; } = store.Counter(Prefix + "total_remote_report_calls");

    public Counter RemoteReportSuccesses { get; } = store.Counter(Prefix + "total_remote_report_successes");

    public Counter RemoteReportFailures { get; } = store.Counter(Prefix + "total_remote_report_other_errors");
}
