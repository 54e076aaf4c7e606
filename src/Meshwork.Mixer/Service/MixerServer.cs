using System.Net;
using Meshwork.Mixer.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meshwork.Mixer.Service;

/// <summary>
/// Serves the Mixer API over plaintext HTTP/2 on its own port, for meshd to host (<c>--mixer-address</c>) or to run
/// alone. Port 0 picks a free port; <see cref="Address"/> tells which.
/// </summary>
public sealed class MixerServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MixerServer(WebApplication app, IPEndPoint address)
    {
        _app = app;
        Address = address;
    }

    public IPEndPoint Address { get; }

    public static async Task<MixerServer> StartAsync(IPEndPoint endpoint, MixerRuntime runtime, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(endpoint, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(runtime);
        var app = builder.Build();
        app.MapGrpcService<MixerGrpcService>();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(bound).Port;
        return new MixerServer(app, new IPEndPoint(endpoint.Address, port));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
