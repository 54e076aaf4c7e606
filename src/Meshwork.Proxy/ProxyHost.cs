using System.Net;
using Meshwork.Proxy.Admin;
using Meshwork.Proxy.Xds;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Meshwork.Proxy;

/// <summary>The composition root of mesh-proxy: the xDS client and the admin API (the data path comes next).</summary>
public static partial class ProxyHost
{
    public static async Task<int> RunAsync(ProxyOptions options, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, options.AdminPort, l => l.Protocols = HttpProtocols.Http1));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ConfigHolder>();
        builder.Services.AddSingleton<XdsClient>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<XdsClient>());
        builder.Services.AddRouting();
        var app = builder.Build();
        AdminEndpoints.Map(app, options.AdminPort);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("mesh-proxy");
        app.Lifetime.ApplicationStarted.Register(() => Log.Started(logger, options.NodeId, options.AdminPort));
        try
        {
            await app.RunAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }
        catch (IOException e)
        {
            await Console.Error.WriteLineAsync($"mesh-proxy: cannot listen: {e.Message}");
            return 1;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "mesh-proxy {NodeId} started; admin on 127.0.0.1:{AdminPort}")]
        public static partial void Started(ILogger logger, string nodeId, int adminPort);
    }
}
