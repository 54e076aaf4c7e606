using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meshwork.Ctl.Tests;

/// <summary>A local Kestrel server on a free loopback port that answers every request with <c>handler</c>.</summary>
public sealed class BenchTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BenchTestServer(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The server's base URL, ending in '/'.</summary>
    public string Url { get; }

    public static async Task<BenchTestServer> StartAsync(RequestDelegate handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new BenchTestServer(app, address.TrimEnd('/') + "/");
    }

    /// <summary>
    /// Waits at least <paramref name="delay"/> by the Stopwatch: Task.Delay alone can end a few ms
    /// early on Linux (its clock is CLOCK_MONOTONIC_COARSE), which would make "latency ≥ the delay" flaky.
    /// </summary>
    public static async Task DelayAtLeastAsync(TimeSpan delay)
    {
        var end = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
        long remaining;
        while ((remaining = end - Stopwatch.GetTimestamp()) > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling(remaining * 1000.0 / Stopwatch.Frequency))));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
