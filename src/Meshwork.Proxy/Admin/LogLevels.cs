namespace Meshwork.Proxy.Admin;

/// <summary>
/// Envoy's <c>/logging</c>: named loggers whose levels change at runtime. Each name covers a part
/// of the proxy (its log categories); the logging filter reads the current level on every check,
/// so a change takes effect at once without rebuilding loggers.
/// </summary>
public sealed class LogLevels
{
    private static readonly (string Name, string CategoryPrefix)[] Loggers =
    [
        ("connection", "Meshwork.Proxy.Listeners"),
        ("http", "Meshwork.Proxy.Http"),
        ("access", "mesh-proxy.access"),
        ("config", "Meshwork.Proxy.Xds"),
        ("secret", "Meshwork.Proxy.Security"),
        ("main", "mesh-proxy"),
    ];

    private readonly int[] _levels;

    public LogLevels(LogLevel initial = LogLevel.Information)
    {
        _levels = Enumerable.Repeat((int)initial, Loggers.Length).ToArray();
    }

    public static IEnumerable<string> Names => Loggers.Select(l => l.Name);

    /// <summary>The logging filter: categories outside the proxy's own stay at Warning.</summary>
    public bool IsEnabled(string? category, LogLevel level)
    {
        category ??= string.Empty;
        for (var i = 0; i < Loggers.Length; i++)
        {
            if (category.StartsWith(Loggers[i].CategoryPrefix, StringComparison.Ordinal))
            {
                return (int)level >= Volatile.Read(ref _levels[i]);
            }
        }

        return level >= LogLevel.Warning;
    }

    public IEnumerable<(string Name, LogLevel Level)> Current() => Loggers.Select((l, i) => (l.Name, (LogLevel)Volatile.Read(ref _levels[i])));

    /// <summary>Sets one logger (or all with <paramref name="name"/> null); false when the name or level is unknown.</summary>
    public bool TrySet(string? name, string levelText, out string problem)
    {
        if (!TryParse(levelText, out var level))
        {
            problem = $"unknown level \"{levelText}\": expected trace, debug, info, warning, error, critical or off";
            return false;
        }

        var found = false;
        for (var i = 0; i < Loggers.Length; i++)
        {
            if (name == null || Loggers[i].Name == name)
            {
                Volatile.Write(ref _levels[i], (int)level);
                found = true;
            }
        }

        problem = found ? string.Empty : $"unknown logger \"{name}\": expected one of {string.Join(", ", Names)}";
        return found;
    }

    public static string Format(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warning",
        LogLevel.Error => "error",
        LogLevel.Critical => "critical",
        _ => "off",
    };

    private static bool TryParse(string text, out LogLevel level)
    {
        level = text.ToLowerInvariant() switch
        {
            "trace" => LogLevel.Trace,
            "debug" => LogLevel.Debug,
            "info" => LogLevel.Information,
            "warning" or "warn" => LogLevel.Warning,
            "error" => LogLevel.Error,
            "critical" => LogLevel.Critical,
            "off" => LogLevel.None,
            _ => (LogLevel)(-1),
        };
        return (int)level >= 0;
    }
}
