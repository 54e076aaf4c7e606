using System.Net;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Proxy.Http;
using Meshwork.Proxy.Listeners;
using Meshwork.Proxy.Runtime;
using Meshwork.Proxy.Stats;
using Meshwork.Proxy.Upstream;
using Meshwork.Proxy.Xds;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Proxy.Tests.Http;

/// <summary>
/// mesh-proxy's data path in the test process, composed as ProxyHost composes it (dispatcher,
/// request path, upstream caller, listener host) and fed clusters and listeners as accepted xDS
/// resources, so a test drives real sockets through real listeners without meshd.
/// </summary>
internal sealed class InProcessProxy : IAsyncDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private readonly ServiceProvider _services;

    private InProcessProxy(ServiceProvider services) => _services = services;

    public static async Task<InProcessProxy> StartAsync(IEnumerable<Cluster> clusters, IEnumerable<Listener> listeners)
    {
        var collection = new ServiceCollection();
        collection.AddLogging();
        var options = new ProxyOptions { DiscoveryAddress = "127.0.0.1:1", Workload = "test", Ip = IPAddress.Loopback, DrainDuration = TimeSpan.Zero, Labels = new Dictionary<string, string> { ["app"] = "test", ["version"] = "v1" } };
        collection.AddSingleton(options);
        collection.AddSingleton(new Meshwork.Proxy.Telemetry.MeshTelemetry(options));
        collection.AddSingleton(TimeProvider.System);
        collection.AddSingleton<Func<double>>(Random.Shared.NextDouble);
        collection.AddSingleton<StatsStore>();
        collection.AddSingleton(new UpstreamOptions());
        collection.AddSingleton<ClusterSet>();
        collection.AddSingleton<DataPlane>();
        collection.AddHttpForwarder();
        collection.AddSingleton<MirrorSender>();
        collection.AddSingleton<UpstreamCaller>();
        collection.AddSingleton(new Meshwork.Proxy.Tracing.TracerIdentity("sidecar~127.0.0.1~test.default~default.svc.cluster.local", string.Empty, "test.default", "127.0.0.1"));
        collection.AddSingleton(sp => new Meshwork.Proxy.Tracing.SpanExporter(
            sp.GetRequiredService<ClusterSet>(), sp.GetRequiredService<Meshwork.Proxy.Tracing.TracerIdentity>(), sp.GetRequiredService<StatsStore>(), TimeProvider.System,
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<Meshwork.Proxy.Tracing.SpanExporter>>()));
        collection.AddSingleton(sp => new Meshwork.Proxy.Tracing.RequestTracer(
            sp.GetRequiredService<Meshwork.Proxy.Tracing.TracerIdentity>(), sp.GetRequiredService<Meshwork.Proxy.Tracing.SpanExporter>(), TimeProvider.System,
            sp.GetRequiredService<Func<double>>(), static () => (ulong)Random.Shared.NextInt64(long.MinValue, long.MaxValue)));
        collection.AddSingleton<RequestPath>();
        collection.AddSingleton<ConnectionDispatcher>();
        collection.AddSingleton<IHttpApplication<HttpContext>>(sp => new ProxyHttpApplication(sp.GetRequiredService<RequestPath>().HandleAsync));
        collection.AddSingleton<ListenerHost>();
        var services = collection.BuildServiceProvider();
        var plane = services.GetRequiredService<DataPlane>();
        var host = services.GetRequiredService<ListenerHost>();
        plane.Host = host;
        var holder = new ConfigHolder(plane);
        Apply(holder, ConfigApplier.ClusterType, clusters.Select(c => new IncomingResource(c.Name, "1", Any.Pack(c))).ToList());
        Apply(holder, ConfigApplier.ListenerType, listeners.Select(l => new IncomingResource(l.Name, "1", Any.Pack(l))).ToList());
        var proxy = new InProcessProxy(services);
        using var timeout = new CancellationTokenSource(Guard);
        while (!host.HasBound)
        {
            await Task.Delay(10, timeout.Token);
        }

        return proxy;
    }

    /// <summary>The proxy's stats store, to read a counter (<c>http.PREFIX.NAME</c> as the admin API prints it).</summary>
    public long Counter(string scope, string scopeName, string stat) => _services.GetRequiredService<StatsStore>().Counter(scope, scopeName, stat).Value;

    /// <summary>An inline route table named "inbound" sending every request to <paramref name="cluster"/>, as Pilot's inbound table does.</summary>
    public static Envoy.Config.Route.V3.RouteConfiguration CatchAllRoutes(string cluster) => new()
    {
        Name = "inbound",
        VirtualHosts =
        {
            new Envoy.Config.Route.V3.VirtualHost
            {
                Name = "inbound",
                Domains = { "*" },
                Routes =
                {
                    new Envoy.Config.Route.V3.Route
                    {
                        Name = "default",
                        Match = new Envoy.Config.Route.V3.RouteMatch { Prefix = "/" },
                        Route_ = new Envoy.Config.Route.V3.RouteAction { Cluster = cluster },
                    },
                },
            },
        },
    };

    /// <summary>The proxy's Istio metrics and identity.</summary>
    public Meshwork.Proxy.Telemetry.MeshTelemetry Telemetry => _services.GetRequiredService<Meshwork.Proxy.Telemetry.MeshTelemetry>();

    public async ValueTask DisposeAsync()
    {
        // The container owns the listener host and the clusters: disposing it closes every listener and pool.
        await _services.DisposeAsync();
    }

    private static void Apply(ConfigHolder holder, string typeUrl, IReadOnlyList<IncomingResource> resources)
    {
        var (next, error) = ConfigApplier.Apply(holder.Current, typeUrl, resources, [], "1");
        Assert.Null(error);
        Assert.True(holder.TryApply(next!, typeUrl, out error), error);
    }
}
