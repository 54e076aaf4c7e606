namespace Meshwork.Proxy.Listeners;

/// <summary>
/// The logger factory the listeners' Kestrel servers get: everything passes except Kestrel's
/// warning that cleartext HTTP/2 is off (event 64), which is untrue here — plaintext listeners
/// speak prior-knowledge HTTP/2 through <see cref="CleartextHttp2"/> — and would print once per
/// listener.
/// </summary>
internal sealed class KestrelLogs(ILoggerFactory inner) : ILoggerFactory
{
    private const int Http2DisabledWithoutTls = 64;

    public ILogger CreateLogger(string categoryName) => new Filtered(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose()
    {
    }

    private sealed class Filtered(ILogger logger) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => logger.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logger.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id != Http2DisabledWithoutTls)
            {
                logger.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
