using System.Text;
using Meshwork.Mixer.Runtime;
using StackExchange.Redis;

namespace Meshwork.Mixer.Adapters;

/// <summary>
/// Istio's redisquota: rate limits kept in Redis so every Mixer replica shares them, in FIXED_WINDOW or ROLLING_WINDOW
/// mode, with overrides by dimensions like memquota. When Redis cannot be reached the quota is not granted (fail closed),
/// as Istio's adapter returns an error then.
/// </summary>
public sealed class RedisQuotaAdapter : IQuotaAdapter, IDisposableAdapter
{
    private readonly Dictionary<string, Limit> _quotas;
    private readonly Task<ConnectionMultiplexer> _redis;
    private readonly TimeProvider _time;

    private RedisQuotaAdapter(string name, Dictionary<string, Limit> quotas, Task<ConnectionMultiplexer> redis, TimeProvider time)
    {
        Name = name;
        _quotas = quotas;
        _redis = redis;
        _time = time;
    }

    public string Name { get; }

    private sealed record Limit(long MaxAmount, TimeSpan ValidDuration, bool Rolling, IReadOnlyList<(IReadOnlyDictionary<string, string> Dimensions, long MaxAmount)> Overrides);

    public static RedisQuotaAdapter Create(string name, ParamsNode p, TimeProvider time)
    {
        p.AllowOnly("redisServerUrl", "connectionPoolSize", "quotas");
        var url = p["redisServerUrl"].String() ?? throw p["redisServerUrl"].Error("required: host:port of the Redis server");
        var quotas = new Dictionary<string, Limit>(StringComparer.Ordinal);
        foreach (var q in p["quotas"].Items)
        {
            q.AllowOnly("name", "maxAmount", "validDuration", "bucketDuration", "rateLimitAlgorithm", "overrides");
            var quotaName = q["name"].String() ?? throw q["name"].Error("required: the quota instance's name");
            var algorithm = q["rateLimitAlgorithm"].String() ?? "FIXED_WINDOW";
            if (algorithm is not ("FIXED_WINDOW" or "ROLLING_WINDOW"))
            {
                throw q["rateLimitAlgorithm"].Error($"expected FIXED_WINDOW or ROLLING_WINDOW, got \"{algorithm}\"");
            }

            var valid = q["validDuration"].Duration(TimeSpan.Zero);
            if (valid <= TimeSpan.Zero)
            {
                throw q["validDuration"].Error("required: the window, greater than 0");
            }

            var bucket = q["bucketDuration"].Duration(TimeSpan.Zero);
            if (algorithm == "ROLLING_WINDOW" && (bucket <= TimeSpan.Zero || bucket >= valid))
            {
                throw q["bucketDuration"].Error($"a ROLLING_WINDOW needs 0 < bucketDuration < validDuration, got {bucket}");
            }

            var overrides = q["overrides"].Items.Select(o =>
            {
                o.AllowOnly("dimensions", "maxAmount");
                IReadOnlyDictionary<string, string> dims = o["dimensions"].Entries.ToDictionary(e => e.Key, e => e.Value.String() ?? string.Empty, StringComparer.Ordinal);
                return (dims, o["maxAmount"].Long(0));
            }).ToList();
            quotas[quotaName] = new Limit(q["maxAmount"].Long(0), valid, algorithm == "ROLLING_WINDOW", overrides);
        }

        // Connecting does not block config compilation: the multiplexer keeps retrying in the background, and
        // allocations fail (closed) until it is up.
        var options = ConfigurationOptions.Parse(url);
        options.AbortOnConnectFail = false;
        return new RedisQuotaAdapter(name, quotas, ConnectionMultiplexer.ConnectAsync(options), time);
    }

    public QuotaResult Allocate(InstanceValue instance, QuotaRequest request)
    {
        var shortName = instance.Name.Split('.')[0];
        if (!_quotas.TryGetValue(instance.Name, out var limit) && !_quotas.TryGetValue(shortName, out limit))
        {
            return new QuotaResult(0, TimeSpan.Zero);
        }

        var dimensions = instance.Map("dimensions");
        var max = limit.MaxAmount;
        foreach (var (dims, overrideMax) in limit.Overrides)
        {
            if (dims.All(d => dimensions.TryGetValue(d.Key, out var v) && v.ToString() == d.Value))
            {
                max = overrideMax;
                break;
            }
        }

        var key = Key(instance.Name, dimensions);
        var windowMs = (long)limit.ValidDuration.TotalMilliseconds;
        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var bestEffort = request.BestEffort ? "1" : "0";
        try
        {
            var db = _redis.GetAwaiter().GetResult().GetDatabase();
            long granted;
            TimeSpan valid;
            if (limit.Rolling)
            {
                granted = (long)db.ScriptEvaluate(RedisQuotaScripts.RollingWindow, [key + ":rolling", key + ":seq"], [max, request.Amount, bestEffort, windowMs, nowMs]);
                valid = limit.ValidDuration;
            }
            else
            {
                var window = nowMs / windowMs;
                granted = (long)db.ScriptEvaluate(RedisQuotaScripts.FixedWindow, [$"{key}:fixed:{window}"], [max, request.Amount, bestEffort, windowMs]);
                valid = TimeSpan.FromMilliseconds(((window + 1) * windowMs) - nowMs);
            }

            return new QuotaResult(granted, valid);
        }
        catch (RedisException)
        {
            return new QuotaResult(0, TimeSpan.Zero);
        }
    }

    private static string Key(string quota, IReadOnlyDictionary<string, object> dimensions)
    {
        var sb = new StringBuilder("mixer:quota:").Append(quota);
        foreach (var (k, v) in dimensions.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            sb.Append(';').Append(k).Append('=').Append(v);
        }

        return sb.ToString();
    }

    public void Dispose() => _redis.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
}
