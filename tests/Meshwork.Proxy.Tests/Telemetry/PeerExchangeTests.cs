using System.Net;
using System.Net.Sockets;
using System.Text;
using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using Istio.Stats;
using Meshwork.Proxy.Http;
using Meshwork.Proxy.Listeners;
using Meshwork.Proxy.Telemetry;
using Meshwork.Proxy.Tests.Http;
using Meshwork.Proxy.Tests.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using ExchangeConfig = Istio.Http.PeerMetadata.Config;

namespace Meshwork.Proxy.Tests.Telemetry;

/// <summary>
/// Istio's metadata exchange and stats filters through the real data path: an in-process proxy
/// (workload "test") in front of an app that reports which exchange headers it received and
/// answers with a peer's own. Inbound the caller's metadata is taken off the request; outbound
/// the upstream's is taken off the response; neither reaches the other side's app.
/// </summary>
public sealed class PeerExchangeTests : IAsyncLifetime
{
    private static readonly PeerMetadata Caller = new("sleep-v1", "foo", new Dictionary<string, string> { ["app"] = "sleep", ["version"] = "v1" }, PeerMetadata.DefaultCluster, "sleep");
    private static readonly PeerMetadata Server = new("httpbin-v2", "bar", new Dictionary<string, string> { ["app"] = "httpbin", ["version"] = "v2" }, PeerMetadata.DefaultCluster, "httpbin");

    private ListenerServer? _app;

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection().BuildServiceProvider();
        var app = new ProxyHttpApplication(async context =>
        {
            var seen = context.Request.Headers[PeerMetadata.Header].ToString();
            context.Response.Headers[PeerMetadata.Header] = Server.Encode();
            context.Response.Headers[PeerMetadata.IdHeader] = "sidecar~10.0.0.2~httpbin-v2.bar~bar.svc.cluster.local";
            context.Response.StatusCode = context.Request.Path == "/missing" ? 404 : 200;
            var body = Encoding.UTF8.GetBytes(seen.Length == 0 ? "none" : PeerMetadata.Decode(seen)?.Workload ?? "garbage");
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body);
        });
        _app = await ListenerServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), (c, next) => next(c), app, services, NullLoggerFactory.Instance, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_app != null)
        {
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Inbound_CallerMetadata_RemovedBeforeTheAppAndRecordedAsSource()
    {
        await using var proxy = await StartAsync(TrafficDirection.Inbound, out var port);

        var (status, headers, body) = await SendAsync(port, "/ok", Caller.Encode());

        Assert.Equal(200, status);
        Assert.Equal("none", body);
        // The app's own exchange headers stop here; the proxy answers with its workload's.
        Assert.Equal("test", PeerMetadata.Decode(headers[PeerMetadata.Header])?.Workload);
        var labels = await SeriesAsync(proxy.Telemetry, "istio_requests_total", "reporter=\"destination\"");
        Assert.Contains("source_workload=\"sleep-v1\"", labels);
        Assert.Contains("source_workload_namespace=\"foo\"", labels);
        Assert.Contains("source_app=\"sleep\"", labels);
        Assert.Contains("destination_workload=\"test\"", labels);
        Assert.Contains("destination_app=\"test\"", labels);
        Assert.Contains("connection_security_policy=\"none\"", labels);
        Assert.Contains("source_principal=\"unknown\"", labels);
        // Inbound never trusts the Host header for the service.
        Assert.Contains("destination_service=\"unknown\"", labels);
    }

    [Fact]
    public async Task Outbound_ServerMetadata_RemovedFromTheResponseAndRecordedAsDestination()
    {
        await using var proxy = await StartAsync(TrafficDirection.Outbound, out var port);

        var (status, headers, body) = await SendAsync(port, "/missing", forged: null);

        Assert.Equal(404, status);
        // The upstream got this workload's metadata; the client never sees the upstream's.
        Assert.Equal("test", body);
        Assert.False(headers.ContainsKey(PeerMetadata.Header));
        Assert.False(headers.ContainsKey(PeerMetadata.IdHeader));
        var labels = await SeriesAsync(proxy.Telemetry, "istio_requests_total", "reporter=\"source\"");
        Assert.Contains("source_workload=\"test\"", labels);
        Assert.Contains("destination_workload=\"httpbin-v2\"", labels);
        Assert.Contains("destination_workload_namespace=\"bar\"", labels);
        Assert.Contains("destination_version=\"v2\"", labels);
        Assert.Contains("destination_service=\"app.bar.svc.cluster.local\"", labels);
        Assert.Contains("destination_service_name=\"app\"", labels);
        Assert.Contains("response_code=\"404\"", labels);
        Assert.Contains("connection_security_policy=\"unknown\"", labels);
    }

    [Fact]
    public async Task Outbound_ExternalClusterAndForgedMetadata_NeitherGoesOut()
    {
        await using var proxy = await StartAsync(TrafficDirection.Outbound, out var port, external: true);

        var (status, _, body) = await SendAsync(port, "/ok", Caller.Encode());

        // The app's forged headers are removed, and this workload's are not sent outside the mesh.
        Assert.Equal(200, status);
        Assert.Equal("none", body);
    }

    [Fact]
    public async Task Outbound_WithoutTheFilters_PassesNothingAndRecordsNothing()
    {
        await using var proxy = await StartAsync(TrafficDirection.Outbound, out var port, filters: false);

        var (status, headers, body) = await SendAsync(port, "/ok", Caller.Encode());

        Assert.Equal(200, status);
        Assert.Equal("sleep-v1", body);
        Assert.True(headers.ContainsKey(PeerMetadata.Header));
        Assert.Equal(string.Empty, proxy.Telemetry.Metrics.Render());
    }

    /// <summary>Recording happens as the request ends, just after the answer is out: waits (bounded) for the series.</summary>
    private static async Task<string> SeriesAsync(MeshTelemetry telemetry, string metric, string having)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var line = telemetry.Metrics.Render().Split('\n').FirstOrDefault(l => l.StartsWith(metric + "{", StringComparison.Ordinal) && l.Contains(having, StringComparison.Ordinal));
            if (line != null)
            {
                Assert.EndsWith("} 1", line);
                return line;
            }

            await Task.Delay(10, timeout.Token);
        }
    }

    private Task<InProcessProxy> StartAsync(TrafficDirection direction, out int port, bool filters = true, bool external = false)
    {
        port = LoopbackPorts.FreePort();
        var inbound = direction == TrafficDirection.Inbound;
        var manager = new HttpConnectionManager
        {
            StatPrefix = "test",
            RouteConfig = new RouteConfiguration
            {
                Name = "routes",
                VirtualHosts = { new VirtualHost { Name = "all", Domains = { "*" }, Routes = { new Route { Match = new RouteMatch { Prefix = "/" }, Route_ = new RouteAction { Cluster = "app" } } } } },
            },
        };
        if (filters)
        {
            var headers = new ExchangeConfig.Types.IstioHeaders();
            var exchange = new ExchangeConfig();
            if (inbound)
            {
                exchange.DownstreamDiscovery.Add(new ExchangeConfig.Types.DiscoveryMethod { IstioHeaders = headers });
                exchange.DownstreamPropagation.Add(new ExchangeConfig.Types.PropagationMethod { IstioHeaders = headers });
            }
            else
            {
                exchange.UpstreamDiscovery.Add(new ExchangeConfig.Types.DiscoveryMethod { IstioHeaders = headers });
                exchange.UpstreamPropagation.Add(new ExchangeConfig.Types.PropagationMethod { IstioHeaders = new ExchangeConfig.Types.IstioHeaders { SkipExternalClusters = true } });
            }

            manager.HttpFilters.Add(new HttpFilter { Name = HttpTelemetryPlan.ExchangeFilter, TypedConfig = Any.Pack(exchange) });
            manager.HttpFilters.Add(new HttpFilter { Name = HttpTelemetryPlan.StatsFilter, TypedConfig = Any.Pack(new PluginConfig { DisableHostHeaderFallback = inbound }) });
        }

        manager.HttpFilters.Add(new HttpFilter { Name = "envoy.filters.http.router", TypedConfig = Any.Pack(new Router()) });
        var listener = new Listener
        {
            Name = $"127.0.0.1_{port}",
            Address = new Address { SocketAddress = new Envoy.Config.Core.V3.SocketAddress { Address = "127.0.0.1", PortValue = (uint)port } },
            TrafficDirection = direction,
            FilterChains = { new FilterChain { Filters = { new Filter { Name = "envoy.filters.network.http_connection_manager", TypedConfig = Any.Pack(manager) } } } },
        };
        var cluster = UpstreamTestClusters.Static("app", ("127.0.0.1", _app!.BoundPort));
        if (!inbound)
        {
            // Pilot's outbound cluster metadata: the service behind it.
            var service = new Struct { Fields = { ["host"] = Value.ForString("app.bar.svc.cluster.local"), ["name"] = Value.ForString("app"), ["namespace"] = Value.ForString("bar") } };
            cluster.Metadata = new Metadata { FilterMetadata = { ["istio"] = new Struct { Fields = { ["services"] = Value.ForList(Value.ForStruct(service)) } } } };
            if (external)
            {
                cluster.Metadata.FilterMetadata["istio"].Fields["external"] = Value.ForBool(true);
            }
        }

        return InProcessProxy.StartAsync([cluster], [listener]);
    }

    private static async Task<(int Status, Dictionary<string, string> Headers, string Body)> SendAsync(int port, string path, string? forged)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}{path}");
        if (forged != null)
        {
            request.Headers.TryAddWithoutValidation(PeerMetadata.Header, forged);
            request.Headers.TryAddWithoutValidation(PeerMetadata.IdHeader, "sidecar~10.0.0.1~sleep-v1.foo~foo.svc.cluster.local");
        }

        using var response = await http.SendAsync(request);
        var headers = response.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        return ((int)response.StatusCode, headers, await response.Content.ReadAsStringAsync());
    }
}
