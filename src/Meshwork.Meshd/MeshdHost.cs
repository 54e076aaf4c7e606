using System.Net;
using Meshwork.Citadel;
using Meshwork.Config.Mesh;
using Meshwork.Config.Store;
using Meshwork.Meshd.Config;
using Meshwork.Meshd.Discovery;
using Meshwork.Pilot.Generators;
using Meshwork.Pilot.Xds;
using Meshwork.Registry.AutoRegistration;
using Meshwork.Registry.Publishing;
using Meshwork.Meshd.Monitoring;
using Meshwork.Meshd.Policy;
using Meshwork.Meshd.Security;
using Meshwork.Mixer.Adapters;
using Meshwork.Mixer.Runtime;
using Meshwork.Mixer.Service;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Meshwork.Meshd;

/// <summary>
/// The composition root of the control plane: config ingestion, the xDS server and the monitoring
/// endpoints in one process, as istiod is. Stops gracefully on SIGTERM or Ctrl-C.
/// </summary>
public static partial class MeshdHost
{
    public static async Task<int> RunAsync(MeshdOptions options, CancellationToken cancellationToken)
    {
        var mesh = LoadMeshConfig(options);
        if (mesh == null)
        {
            return 1;
        }

        CertificateAuthority? ca = null;
        if (options.SecureAddress != null)
        {
            try
            {
                ca = CaStore.LoadOrCreate(options.CaDirectory, mesh.EffectiveTrustDomain, CaKeyType.EcdsaP256, DateTimeOffset.UtcNow);
            }
            catch (Exception e) when (e is CaLoadException or IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                await Console.Error.WriteLineAsync($"meshd: cannot load the CA from {options.CaDirectory}: {e.Message}");
                return 1;
            }
        }

        var app = Build(options, mesh, ca);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("meshd");
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            app.Services.GetRequiredService<Readiness>().Listening();
            Log.Listening(logger, string.Join(", ", app.Urls));
        });
        app.Lifetime.ApplicationStopping.Register(() => Log.Stopping(logger));
        try
        {
            await app.RunAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }
        catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException || e.Message.Contains("address", StringComparison.OrdinalIgnoreCase))
        {
            await Console.Error.WriteLineAsync($"meshd: cannot listen: {e.Message}");
            return 1;
        }
    }

    public static WebApplication Build(MeshdOptions options, MeshConfig mesh, CertificateAuthority? ca = null)
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
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(options.XdsAddress, listen => listen.Protocols = HttpProtocols.Http2);
            kestrel.Listen(options.MonitoringAddress, listen => listen.Protocols = HttpProtocols.Http1);
            if (options.MixerAddress is { } mixer)
            {
                kestrel.Listen(mixer, listen => listen.Protocols = HttpProtocols.Http2);
            }
            if (options.SecureAddress is { } secure && ca != null)
            {
                // meshd's serving certificate comes from the mesh CA, as istiod's does; clients trust root-cert.pem.
                var (certificate, intermediates) = ServingCertificate.Issue(ca, mesh.EffectiveTrustDomain, ["meshd", "meshd.istio-system.svc", "istiod.istio-system.svc", "localhost"], [secure.Address, IPAddress.Loopback], TimeSpan.FromDays(90), DateTimeOffset.UtcNow);
                kestrel.Listen(secure, listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    listen.UseHttps(new Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions
                    {
                        ServerCertificate = certificate,
                        ServerCertificateChain = intermediates,
                        // A client certificate is asked for, not required: a workload renewing proves itself with
                        // its current one, a new workload comes with a token. CreateCertificate judges the
                        // certificate against the mesh root itself, so the handshake accepts any.
                        ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.AllowCertificate,
                        ClientCertificateValidation = (_, _, _) => true,
                    });
                });
            }
        });
        if (ca != null)
        {
            builder.Services.AddSingleton(ca);
            CitadelMetrics.Describe(ca);
        }

        builder.Services.AddSingleton<Microsoft.AspNetCore.Connections.IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(mesh);
        builder.Services.AddSingleton<ConfigStore>();
        builder.Services.AddSingleton<Readiness>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new WorkloadRegistry(sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(sp => new MeshRegistry(sp.GetRequiredService<WorkloadRegistry>()));
        builder.Services.AddSingleton<IProxyLifecycle, ProxyRegistrations>();
        builder.Services.AddSingleton(sp => new DiscoveryServer(
            sp.GetServices<IResourceGenerator>(),
            sp.GetRequiredService<ILogger<DiscoveryServer>>(),
            sp.GetRequiredService<IProxyLifecycle>(),
            sp.GetRequiredService<TimeProvider>()));
        Generators.Register(builder.Services);
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 16 * 1024 * 1024);

        // Start order matters: config loads first, then the push pipeline takes its first snapshot.
        builder.Services.AddHostedService<ConfigWatcher>();
        builder.Services.AddSingleton<JwksResolver>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JwksResolver>());
        builder.Services.AddHostedService<PushPipeline>();
        builder.Services.AddRouting();
        if (options.MixerAddress != null)
        {
            // Prometheus-adapter series land in the default registry, which the monitoring port's /metrics serves.
            builder.Services.AddSingleton(sp => new MixerRuntime(new AdapterContext { Time = sp.GetRequiredService<TimeProvider>() }));
            builder.Services.AddHostedService<MixerConfigFeed>();
        }

        var app = builder.Build();
        string[] adsHosts = options.SecureAddress is { } tls ? [$"*:{options.XdsAddress.Port}", $"*:{tls.Port}"] : [$"*:{options.XdsAddress.Port}"];
        app.MapGrpcService<AdsService>().RequireHost(adsHosts);
        if (options.SecureAddress is { } caPort && ca != null)
        {
            // Certificates are only ever handed out over TLS, as istiod does on 15012.
            app.MapGrpcService<CertificateService>().RequireHost($"*:{caPort.Port}");
        }

        if (options.MixerAddress is { } mixerPort)
        {
            app.MapGrpcService<MixerGrpcService>().RequireHost($"*:{mixerPort.Port}");
        }

        MonitoringEndpoints.Map(app, options.MonitoringAddress.Port);
        DebugEndpoints.Map(app, $"*:{options.MonitoringAddress.Port}");
        return app;
    }

    private static MeshConfig? LoadMeshConfig(MeshdOptions options)
    {
        var mesh = MeshConfig.Default;
        if (options.MeshConfigFile is { } file)
        {
            var outcome = MeshConfigReader.ReadFile(file, file);
            foreach (var diagnostic in outcome.Diagnostics)
            {
                Console.Error.WriteLine(diagnostic.ToString());
            }

            if (outcome.Config == null)
            {
                Console.Error.WriteLine($"meshd: mesh config {file} is invalid");
                return null;
            }

            mesh = outcome.Config;
        }

        if (options.TrustDomain is { Length: > 0 } trustDomain)
        {
            mesh = mesh with { TrustDomain = trustDomain };
        }

        // meshd's own Mixer is where sidecars check and report unless the mesh config names other servers.
        if (options.MixerAddress is { } mixer)
        {
            var address = mixer.ToString();
            mesh = mesh with
            {
                MixerCheckServer = mesh.MixerCheckServer.Length > 0 ? mesh.MixerCheckServer : address,
                MixerReportServer = mesh.MixerReportServer.Length > 0 ? mesh.MixerReportServer : address,
            };
        }

        return mesh;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "meshd listening on {Addresses}")]
        public static partial void Listening(ILogger logger, string addresses);

        [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "meshd stopping")]
        public static partial void Stopping(ILogger logger);
    }
}
