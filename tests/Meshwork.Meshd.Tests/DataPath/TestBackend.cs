using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>
/// A plain backend "app" on a free loopback port that says who it is and what it received, and
/// misbehaves on request: <c>?status=N</c>, <c>?delay=MS</c>, <c>?reset=1</c> (drops the connection
/// before answering), <c>?fail=N</c> (the first N requests answer 503), POST bodies echoed.
/// </summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;
    private int _failuresLeft;

    private TestBackend(WebApplication app, string name)
    {
        _app = app;
        Name = name;
    }

    public string Name { get; }

    public int Port { get; private set; }

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Connections accepted so far (to see pooling and retirement).</summary>
    public int Connections;

    /// <summary>The last request's headers as received.</summary>
    public IReadOnlyDictionary<string, string> LastHeaders { get; private set; } = new Dictionary<string, string>();

    private readonly Queue<IReadOnlyDictionary<string, string>> _recentHeaders = new();

    /// <summary>
    /// The headers of a recent request (of the last 64) carrying <paramref name="name"/>: <paramref name="value"/>,
    /// or null. Copies a proxy sends on its own (mirrors) may arrive after later requests, so the last one may be another.
    /// </summary>
    public IReadOnlyDictionary<string, string>? RecentHeadersWith(string name, string value)
    {
        lock (_recentHeaders)
        {
            return _recentHeaders.LastOrDefault(h => h.GetValueOrDefault(name) == value);
        }
    }

    public void FailNext(int count) => Volatile.Write(ref _failuresLeft, count);

    public static async Task<TestBackend> StartAsync(string name, HttpProtocols protocols = HttpProtocols.Http1AndHttp2, IPAddress? address = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        TestBackend? backend = null;
        builder.WebHost.ConfigureKestrel(k => k.Listen(address ?? IPAddress.Loopback, 0, l =>
        {
            l.Protocols = protocols;
            l.Use(next => connection =>
            {
                Interlocked.Increment(ref backend!.Connections);
                return next(connection);
            });
        }));
        var app = builder.Build();
        backend = new TestBackend(app, name);
        app.Run(backend.HandleAsync);
        await app.StartAsync();
        backend.Port = new Uri(app.Urls.First()).Port;
        return backend;
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        var query = context.Request.Query;
        LastHeaders = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        lock (_recentHeaders)
        {
            _recentHeaders.Enqueue(LastHeaders);
            while (_recentHeaders.Count > 64)
            {
                _recentHeaders.Dequeue();
            }
        }
        if (query.TryGetValue("delay", out var delay))
        {
            await Task.Delay(int.Parse(delay!, System.Globalization.CultureInfo.InvariantCulture), context.RequestAborted);
        }

        if (query.ContainsKey("reset"))
        {
            context.Features.Get<IHttpRequestLifetimeFeature>()!.Abort();
            return;
        }

        var status = 200;
        if (query.TryGetValue("status", out var statusText))
        {
            status = int.Parse(statusText!, System.Globalization.CultureInfo.InvariantCulture);
        }

        if (Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            status = 503;
        }
        else
        {
            Interlocked.Exchange(ref _failuresLeft, 0);
        }

        string body;
        using (var reader = new StreamReader(context.Request.Body))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.Headers["x-backend"] = Name;
        await context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            backend = Name,
            method = context.Request.Method,
            path = context.Request.Path.Value + context.Request.QueryString.Value,
            host = context.Request.Host.Value,
            protocol = context.Request.Protocol,
            body,
            headers = LastHeaders,
        }));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
