using System.Collections.Concurrent;
using System.Text;
using Meshwork.Mixer.Runtime;

namespace Meshwork.Mixer.Adapters;

/// <summary>
/// Istio's memquota: in-memory quotas with a maximum per window of validDuration (fixed windows per distinct set of
/// dimension values), and overrides that give other limits to requests whose dimensions match. With no
/// validDuration the quota is an allocation that never refills. Counters live in this process only.
/// </summary>
public sealed class MemQuotaAdapter : IQuotaAdapter
{
    private readonly Dictionary<string, QuotaLimit> _quotas;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);

    private MemQuotaAdapter(string name, Dictionary<string, QuotaLimit> quotas, TimeProvider time)
    {
        Name = name;
        _quotas = quotas;
        _time = time;
    }

    public string Name { get; }

    /// <summary>A quota's limit and its overrides, in order: the first override whose dimensions all match applies.</summary>
    private sealed record QuotaLimit(long MaxAmount, TimeSpan ValidDuration, IReadOnlyList<(IReadOnlyDictionary<string, string> Dimensions, long MaxAmount, TimeSpan ValidDuration)> Overrides);

    /// <summary>One counter's current window; mutated under its own lock, so distinct counters never contend.</summary>
    private sealed class Window
    {
        public DateTimeOffset Start;
        public long Used;
    }

    public static MemQuotaAdapter Create(string name, ParamsNode p, TimeProvider time)
    {
        p.AllowOnly("quotas", "minDeduplicationDuration");
        var quotas = new Dictionary<string, QuotaLimit>(StringComparer.Ordinal);
        foreach (var q in p["quotas"].Items)
        {
            q.AllowOnly("name", "maxAmount", "validDuration", "overrides");
            var quotaName = q["name"].String() ?? throw q["name"].Error("required: the quota instance's name");
            var overrides = q["overrides"].Items.Select(o =>
            {
                o.AllowOnly("dimensions", "maxAmount", "validDuration");
                IReadOnlyDictionary<string, string> dims = o["dimensions"].Entries.ToDictionary(e => e.Key, e => e.Value.String() ?? string.Empty, StringComparer.Ordinal);
                return (dims, NonNegative(o["maxAmount"]), o["validDuration"].Duration(TimeSpan.Zero));
            }).ToList();
            quotas[quotaName] = new QuotaLimit(NonNegative(q["maxAmount"]), q["validDuration"].Duration(TimeSpan.Zero), overrides);
        }

        return new MemQuotaAdapter(name, quotas, time);
    }

    private static long NonNegative(ParamsNode node)
    {
        var value = node.Long(0);
        return value >= 0 ? value : throw node.Error($"must be >= 0, got {value}");
    }

    public QuotaResult Allocate(InstanceValue instance, QuotaRequest request)
    {
        // Istio names the quota by the instance's full name; the short name is accepted too.
        var shortName = instance.Name.Split('.')[0];
        if (!_quotas.TryGetValue(instance.Name, out var limit) && !_quotas.TryGetValue(shortName, out limit))
        {
            return new QuotaResult(0, TimeSpan.Zero);
        }

        var dimensions = instance.Map("dimensions");
        var (max, validDuration) = (limit.MaxAmount, limit.ValidDuration);
        foreach (var (dims, overrideMax, overrideDuration) in limit.Overrides)
        {
            if (dims.All(d => dimensions.TryGetValue(d.Key, out var v) && Text(v) == d.Value))
            {
                (max, validDuration) = (overrideMax, overrideDuration > TimeSpan.Zero ? overrideDuration : validDuration);
                break;
            }
        }

        var key = Key(instance.Name, dimensions);
        var window = _windows.GetOrAdd(key, _ => new Window { Start = _time.GetUtcNow() });
        lock (window)
        {
            var now = _time.GetUtcNow();
            if (validDuration > TimeSpan.Zero && now - window.Start >= validDuration)
            {
                window.Start = now;
                window.Used = 0;
            }

            var available = Math.Max(0, max - window.Used);
            var granted = request.Amount <= available ? request.Amount : request.BestEffort ? available : 0;
            window.Used += granted;
            var remaining = validDuration > TimeSpan.Zero ? validDuration - (now - window.Start) : TimeSpan.Zero;
            return new QuotaResult(granted, remaining);
        }
    }

    private static string Text(object value) => value.ToString() ?? string.Empty;

    private static string Key(string quota, IReadOnlyDictionary<string, object> dimensions)
    {
        var sb = new StringBuilder(quota);
        foreach (var (k, v) in dimensions.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            sb.Append('\0').Append(k).Append('=').Append(Text(v));
        }

        return sb.ToString();
    }
}
