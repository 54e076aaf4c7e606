using Meshwork.Mixer.Runtime;
using Prometheus;

namespace Meshwork.Mixer.Adapters;

/// <summary>What adapters may use from their host: the clock, the metrics registry, the log stream and an HTTP client.</summary>
public sealed record AdapterContext
{
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Where the prometheus adapter registers its series (meshd's monitoring /metrics serves the default registry).</summary>
    public CollectorRegistry Metrics { get; init; } = Prometheus.Metrics.DefaultRegistry;

    /// <summary>Where the stdio adapter writes its JSON lines.</summary>
    public TextWriter Log { get; init; } = Console.Out;

    /// <summary>Fetches listchecker provider URLs.</summary>
    public HttpClient Http { get; init; } = SharedHttp;

    private static readonly HttpClient SharedHttp = new();
}

/// <summary>Builds a handler's adapter from its compiled-adapter name and params; the one place adapter names are known.</summary>
public sealed class AdapterFactory(AdapterContext context)
{
    public static IReadOnlyList<string> Names { get; } = ["denier", "listchecker", "memquota", "redisquota", "prometheus", "stdio", "noop"];

    public AdapterContext Context { get; } = context;

    public IAdapter Create(string handlerName, string adapter, ParamsNode parameters, string adapterPath) => adapter switch
    {
        "denier" => DenierAdapter.Create(handlerName, parameters),
        "listchecker" => ListCheckerAdapter.Create(handlerName, parameters, Context),
        "memquota" => MemQuotaAdapter.Create(handlerName, parameters, Context.Time),
        "redisquota" => RedisQuotaAdapter.Create(handlerName, parameters, Context.Time),
        "prometheus" => PrometheusAdapter.Create(handlerName, parameters, Context.Metrics),
        "stdio" => StdioAdapter.Create(handlerName, parameters, Context),
        "noop" => new NoopAdapter(handlerName),
        _ => throw new MixerConfigException(adapterPath, $"adapter \"{adapter}\" is not available, expected one of: {string.Join(", ", Names)}"),
    };
}

/// <summary>Accepts everything: checks pass, quotas are granted in full, reports are dropped.</summary>
public sealed class NoopAdapter(string name) : ICheckAdapter, IQuotaAdapter, IReportAdapter
{
    public string Name { get; } = name;

    public CheckResult Check(InstanceValue instance) => new(StatusCodes.Ok, string.Empty, TimeSpan.FromMinutes(1), 10000);

    public QuotaResult Allocate(InstanceValue instance, QuotaRequest request) => new(request.Amount, TimeSpan.FromMinutes(1));

    public void Report(IReadOnlyList<InstanceValue> instances)
    {
    }
}
