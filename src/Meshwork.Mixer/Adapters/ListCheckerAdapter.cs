using Meshwork.Mixer.Runtime;

namespace Meshwork.Mixer.Adapters;

/// <summary>
/// Istio's listchecker: is a listentry's value on a list of strings, case-insensitive strings, IP ranges or regexes?
/// A white list answers NOT_FOUND for a missing value, a black list PERMISSION_DENIED for a present one. The list is
/// the inline overrides plus, with providerUrl, a list fetched every refreshInterval; when no fetch has succeeded
/// within ttl the provider part is purged and checks answer UNAVAILABLE, as Istio's does.
/// </summary>
public sealed class ListCheckerAdapter : ICheckAdapter, IDisposableAdapter
{
    private readonly ListEntryType _type;
    private readonly bool _blacklist;
    private readonly TimeSpan _cachingInterval;
    private readonly int _cachingUseCount;
    private readonly IReadOnlyList<string> _overrides;
    private readonly Uri? _provider;
    private readonly TimeSpan _ttl;
    private readonly AdapterContext _context;
    private readonly ITimer? _refresh;
    private volatile ListEntries? _list;
    private DateTimeOffset _lastFetch;

    private ListCheckerAdapter(string name, ListEntryType type, bool blacklist, TimeSpan cachingInterval, int cachingUseCount, IReadOnlyList<string> overrides, ListEntries overridesList, Uri? provider, TimeSpan refresh, TimeSpan ttl, AdapterContext context)
    {
        Name = name;
        _type = type;
        _blacklist = blacklist;
        _cachingInterval = cachingInterval;
        _cachingUseCount = cachingUseCount;
        _overrides = overrides;
        _provider = provider;
        _ttl = ttl;
        _context = context;
        if (provider == null)
        {
            _list = overridesList;
        }
        else
        {
            _refresh = context.Time.CreateTimer(_ => _ = RefreshAsync(), null, TimeSpan.Zero, refresh);
        }
    }

    public string Name { get; }

    public static ListCheckerAdapter Create(string name, ParamsNode p, AdapterContext context)
    {
        p.AllowOnly("providerUrl", "refreshInterval", "ttl", "cachingInterval", "cachingUseCount", "overrides", "entryType", "blacklist");
        var typeText = p["entryType"].String() ?? "STRINGS";
        var type = typeText switch
        {
            "STRINGS" => ListEntryType.Strings,
            "CASE_INSENSITIVE_STRINGS" => ListEntryType.CaseInsensitiveStrings,
            "IP_ADDRESSES" => ListEntryType.IpAddresses,
            "REGEX" => ListEntryType.Regex,
            _ => throw p["entryType"].Error($"expected STRINGS, CASE_INSENSITIVE_STRINGS, IP_ADDRESSES or REGEX, got \"{typeText}\""),
        };
        var overrides = p["overrides"].Items.ToList();
        var texts = overrides.Select(o => o.String() ?? string.Empty).ToList();
        var list = ListEntries.Build(type, overrides.Select(o => (o.String() ?? string.Empty, (Func<string, Exception>)(m => o.Error(m)))));
        Uri? provider = null;
        var refresh = p["refreshInterval"].Duration(TimeSpan.FromSeconds(60));
        var ttl = p["ttl"].Duration(TimeSpan.FromSeconds(300));
        if (p["providerUrl"].String() is { Length: > 0 } url)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out provider) || provider.Host.Length == 0)
            {
                throw p["providerUrl"].Error($"\"{url}\": URL scheme and host cannot be empty");
            }

            if (refresh < TimeSpan.FromSeconds(1))
            {
                throw p["refreshInterval"].Error($"refresh interval must be at least 1s, it is {refresh}");
            }

            if (ttl < refresh)
            {
                throw p["ttl"].Error($"ttl must be > refreshInterval, ttl is {ttl} and refreshInterval is {refresh}");
            }
        }

        var caching = p["cachingInterval"].Duration(TimeSpan.FromSeconds(300));
        var useCount = p["cachingUseCount"].Long(10000);
        if (useCount < 0)
        {
            throw p["cachingUseCount"].Error($"caching use count must be >= 0, it is {useCount}");
        }

        return new ListCheckerAdapter(name, type, p["blacklist"].Bool(false), caching, (int)Math.Min(useCount, int.MaxValue), texts, list, provider, refresh, ttl, context);
    }

    /// <summary>Completes when the provider's list has been fetched once (for callers that must not start with an empty list).</summary>
    public bool HasList => _list != null;

    public CheckResult Check(InstanceValue instance)
    {
        var list = _list;
        if (list != null && _provider != null && _context.Time.GetUtcNow() - _lastFetch > _ttl)
        {
            // Not refreshed within ttl: the list is stale and is dropped, as Istio's purge timer does.
            _list = list = null;
        }

        if (list == null)
        {
            return new CheckResult(StatusCodes.Unavailable, $"list from {_provider} is not available", TimeSpan.Zero, 0);
        }

        if (instance.Field("value") is not { } value)
        {
            return new CheckResult(3, $"instance {instance.Name} has no value", TimeSpan.Zero, 0);
        }

        var found = list.Contains(value);
        if (_blacklist)
        {
            return found
                ? new CheckResult(StatusCodes.PermissionDenied, $"{value} is blacklisted", _cachingInterval, _cachingUseCount)
                : new CheckResult(StatusCodes.Ok, string.Empty, _cachingInterval, _cachingUseCount);
        }

        return found
            ? new CheckResult(StatusCodes.Ok, string.Empty, _cachingInterval, _cachingUseCount)
            : new CheckResult(StatusCodes.NotFound, $"{value} is not whitelisted", _cachingInterval, _cachingUseCount);
    }

    private async Task RefreshAsync()
    {
        try
        {
            var body = await _context.Http.GetStringAsync(_provider).ConfigureAwait(false);
            var entries = _overrides.Concat(ListEntries.ParseText(body)).Select(e => (e, (Func<string, Exception>)(m => new FormatException(m))));
            _list = ListEntries.Build(_type, entries);
            _lastFetch = _context.Time.GetUtcNow();
        }
        catch (Exception e) when (e is HttpRequestException or FormatException or TaskCanceledException)
        {
            // Keep the last good list until ttl runs out; the next tick retries.
        }
    }

    public void Dispose() => _refresh?.Dispose();
}
