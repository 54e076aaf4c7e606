using System.Net;
using Meshwork.Proxy.Admin;
using Meshwork.Proxy.Http;
using Meshwork.Proxy.Listeners;
using Meshwork.Proxy.Runtime;
using Meshwork.Proxy.Security;
using Meshwork.Proxy.Stats;
using Meshwork.Proxy.Upstream;
using Meshwork.Proxy.Xds;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Yarp.ReverseProxy.Forwarder;

namespace Meshwork.Proxy;

/// <summary>
/// The composition root of mesh-proxy: the xDS client feeding the data plane (listeners, routes,
/// clusters), the admin API on loopback, the status port on the workload's IP, and the drain on
/// SIGTERM or /quitquitquit.
/// </summary>
public static partial class ProxyHost
{
    public static async Task<int> RunAsync(ProxyOptions options, CancellationToken cancellationToken)
    {
        // The proxy is configured by its command line and xDS only: no appsettings.json to watch
        // (a watcher is a thread and an inotify instance per sidecar).
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        var levels = new LogLevels();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.AddFilter((_, category, level) => levels.IsEnabled(category, level));
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.DrainDuration + TimeSpan.FromSeconds(5));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, options.AdminPort, l => l.Protocols = HttpProtocols.Http1);
            if (options.StatusPort > 0)
            {
                k.Listen(options.Ip, options.StatusPort, l => l.Protocols = HttpProtocols.Http1);
            }

            if (options.Agent?.SdsSocket is { } sdsSocket)
            {
                // A socket left by an earlier run would make the bind fail.
                File.Delete(sdsSocket);
                k.ListenUnixSocket(sdsSocket, l => l.Protocols = HttpProtocols.Http2);
            }
        });
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(levels);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<Func<double>>(Random.Shared.NextDouble);
        builder.Services.AddSingleton<StatsStore>();
        builder.Services.AddSingleton(new Telemetry.MeshTelemetry(options));
        builder.Services.AddSingleton<MetricsEndpoint>();
        builder.Services.AddSingleton(new SecretStore(active: options.Agent != null));
        if (options.Agent is { } agent)
        {
            var spiffeId = WorkloadCsr.SpiffeId(agent.TrustDomain, options.Namespace, options.ServiceAccount);
            builder.Services.AddSingleton<ICertificateSigner>(new CaClient(agent));
            builder.Services.AddSingleton(sp => new CertificateAgent(
                agent, spiffeId, sp.GetRequiredService<ICertificateSigner>(), sp.GetRequiredService<SecretStore>(), sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<Func<double>>(), sp.GetRequiredService<ILogger<CertificateAgent>>()));
            builder.Services.AddHostedService(sp => sp.GetRequiredService<CertificateAgent>());
            if (agent.SdsSocket != null)
            {
                builder.Services.AddGrpc();
            }
        }

        builder.Services.AddSingleton(sp => new UpstreamOptions
        {
            Secrets = sp.GetRequiredService<SecretStore>(),
            InboundAppAddresses = options.Inbound.ToDictionary(i => (int)i.Port, i => new DnsEndPoint(i.AppHost, (int)i.AppPort)),
            Time = sp.GetRequiredService<TimeProvider>(),
        });
        builder.Services.AddSingleton<ClusterSet>();
        builder.Services.AddSingleton<DataPlane>();
        builder.Services.AddSingleton(sp => new ConfigHolder(sp.GetRequiredService<DataPlane>()));
        builder.Services.AddHttpForwarder();
        builder.Services.AddSingleton<MirrorSender>();
        builder.Services.AddSingleton<UpstreamCaller>();
        builder.Services.AddSingleton(Tracing.TracerIdentity.From(options));
        builder.Services.AddSingleton(sp => new Tracing.SpanExporter(
            sp.GetRequiredService<ClusterSet>(), sp.GetRequiredService<Tracing.TracerIdentity>(), sp.GetRequiredService<StatsStore>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<Tracing.SpanExporter>>()));
        builder.Services.AddSingleton(sp => new Tracing.RequestTracer(
            sp.GetRequiredService<Tracing.TracerIdentity>(), sp.GetRequiredService<Tracing.SpanExporter>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<Func<double>>(), static () => (ulong)Random.Shared.NextInt64(long.MinValue, long.MaxValue)));
        builder.Services.AddSingleton<RequestPath>();
        builder.Services.AddSingleton<ConnectionDispatcher>();
        builder.Services.AddSingleton<IHttpApplication<HttpContext>>(sp => new ProxyHttpApplication(sp.GetRequiredService<RequestPath>().HandleAsync));
        builder.Services.AddSingleton<ListenerHost>();
        builder.Services.AddSingleton<XdsClient>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<XdsClient>());
        builder.Services.AddRouting();
        var app = builder.Build();

        app.Services.GetService<CertificateAgent>()?.LoadConfiguredRoot();
        var plane = app.Services.GetRequiredService<DataPlane>();
        var listeners = app.Services.GetRequiredService<ListenerHost>();
        plane.Host = listeners;
        var stats = app.Services.GetRequiredService<StatsStore>();
        stats.AddSource(() => plane.Clusters.Clusters.SelectMany(c => c.Stats.Enumerate().Select(s => (new StatKey("cluster", c.Name, s.Name), s.Value, s.Name.EndsWith("_active", StringComparison.Ordinal) || s.Name.StartsWith("membership", StringComparison.Ordinal)))));
        var draining = new DrainState();
        AdminEndpoints.Map(app, options, draining);
        if (options.Agent?.SdsSocket != null)
        {
            // SDS hands out the workload key: only on the Unix socket, never on the admin or status port.
            app.Use((context, next) =>
            {
                if (context.Connection.LocalIpAddress != null && context.Request.Path.StartsWithSegments("/envoy.service.secret.v3.SecretDiscoveryService", StringComparison.Ordinal))
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }

                return next(context);
            });
            app.MapGrpcService<SdsService>();
        }
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("mesh-proxy");
        app.Lifetime.ApplicationStarted.Register(() => Log.Started(logger, options.NodeId, options.AdminPort));
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            // Stop accepting, let requests in flight finish within the drain period (the host waits for it).
            draining.Begin();
            Log.Draining(logger, options.DrainDuration.TotalSeconds);
            listeners.DrainAsync(options.DrainDuration).GetAwaiter().GetResult();
        });
        try
        {
            // The container disposes the clusters (and their connection pools) as the host ends.
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

        [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "draining: no new connections; requests in flight have {Seconds} s")]
        public static partial void Draining(ILogger logger, double seconds);
    }
}

/// <summary>Whether the proxy is shutting down (readiness then says so).</summary>
public sealed class DrainState
{
    private volatile bool _draining;

    public bool IsDraining => _draining;

    public void Begin() => _draining = true;
}
