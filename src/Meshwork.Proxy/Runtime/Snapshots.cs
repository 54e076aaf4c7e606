using System.Collections.Frozen;
using System.Net;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Meshwork.Proxy.Authorization;
using Meshwork.Proxy.Connections;
using Meshwork.Proxy.Http;
using Meshwork.Proxy.Routing;
using Meshwork.Proxy.Stats;
using Meshwork.Proxy.Xds;

namespace Meshwork.Proxy.Runtime;

/// <summary>
/// The route tables in force, by name. Built whole from each accepted RDS update; a table whose
/// resource did not change is reused (same applied resource object), so an update compiles only
/// what it changed.
/// </summary>
internal sealed class RoutingSnapshot
{
    private readonly FrozenDictionary<string, (AppliedResource<RouteConfiguration> Source, RouteTable Table)> _tables;

    private RoutingSnapshot(FrozenDictionary<string, (AppliedResource<RouteConfiguration>, RouteTable)> tables) => _tables = tables;

    public static RoutingSnapshot Empty { get; } = new(FrozenDictionary<string, (AppliedResource<RouteConfiguration>, RouteTable)>.Empty);

    public RouteTable? Find(string name) => _tables.TryGetValue(name, out var entry) ? entry.Table : null;

    public static RoutingSnapshot Build(AppliedConfig config, RoutingSnapshot previous)
    {
        var tables = new Dictionary<string, (AppliedResource<RouteConfiguration>, RouteTable)>(StringComparer.Ordinal);
        foreach (var (name, resource) in config.Routes)
        {
            tables[name] = previous._tables.TryGetValue(name, out var old) && ReferenceEquals(old.Source, resource)
                ? old
                : (resource, RouteTable.Compile(resource.Resource));
        }

        return new RoutingSnapshot(tables.ToFrozenDictionary(StringComparer.Ordinal));
    }
}

/// <summary>A listener ready to accept: where it binds, its chain plan, a compiled manager per HTTP chain, and the chains' network RBAC filters.</summary>
internal sealed class CompiledListener
{
    public required AppliedResource<Listener> Source { get; init; }

    public required IPEndPoint BindAt { get; init; }

    public required ListenerPlan Plan { get; init; }

    public required FrozenDictionary<HttpChainPlan, HttpManager> Managers { get; init; }

    /// <summary>Each chain's network RBAC filters, compiled (chains without any are absent).</summary>
    public required FrozenDictionary<ChainPlan, Meshwork.Proxy.Listeners.NetworkAuthorization> NetworkAuthorization { get; init; }

    public string Name => Source.Name;
}

/// <summary>The listeners in force, by name; unchanged ones reused as they are.</summary>
internal sealed class ListenerSnapshot
{
    private ListenerSnapshot(FrozenDictionary<string, CompiledListener> listeners) => Listeners = listeners;

    public static ListenerSnapshot Empty { get; } = new(FrozenDictionary<string, CompiledListener>.Empty);

    public FrozenDictionary<string, CompiledListener> Listeners { get; }

    public static ListenerSnapshot Build(AppliedConfig config, ListenerSnapshot previous, ProxyOptions options, StatsStore stats, Telemetry.MeshTelemetry? telemetry = null)
    {
        var listeners = new Dictionary<string, CompiledListener>(StringComparer.Ordinal);
        var bound = new Dictionary<IPEndPoint, string>();
        foreach (var (name, resource) in config.Listeners)
        {
            if (resource.Resource.Address?.SocketAddress == null)
            {
                continue; // API listeners (proxyless gRPC) are not served by a proxy
            }

            var compiled = previous.Listeners.TryGetValue(name, out var old) && ReferenceEquals(old.Source, resource)
                ? old
                : Compile(resource, options, stats, telemetry);
            if (bound.TryGetValue(compiled.BindAt, out var other))
            {
                throw new ProxyConfigException($"listener \"{name}\": address {compiled.BindAt} is already taken by listener \"{other}\"");
            }

            bound[compiled.BindAt] = name;
            listeners[name] = compiled;
        }

        return new ListenerSnapshot(listeners.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>
    /// Where a listener binds in local mode: the virtual outbound listener on the workload's IP and
    /// --outbound-port; a wildcard address (gateways) on the workload's own IP, since many proxies
    /// share one host; anything else where meshd says.
    /// </summary>
    internal static IPEndPoint BindAddress(Listener listener, ProxyOptions options)
    {
        var socket = listener.Address.SocketAddress;
        if (listener.Name == "virtualOutbound")
        {
            return new IPEndPoint(options.Ip, options.OutboundPort);
        }

        if (!IPAddress.TryParse(socket.Address, out var address))
        {
            throw new ProxyConfigException($"listener \"{listener.Name}\": address \"{socket.Address}\" is not an IP address");
        }

        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            address = options.Ip;
        }

        return new IPEndPoint(address, (int)socket.PortValue);
    }

    private static CompiledListener Compile(AppliedResource<Listener> resource, ProxyOptions options, StatsStore stats, Telemetry.MeshTelemetry? telemetry)
    {
        var listener = resource.Resource;
        var plan = ListenerPlan.Compile(listener);
        var inbound = listener.TrafficDirection == Envoy.Config.Core.V3.TrafficDirection.Inbound;
        var managers = new Dictionary<HttpChainPlan, HttpManager>();
        foreach (var http in plan.Plans.OfType<HttpChainPlan>())
        {
            var inline = http.InlineRoutes != null ? RouteTable.Compile(http.InlineRoutes) : null;
            managers[http] = new HttpManager(http.Manager, inline, http.RdsRouteName, listener.Name, inbound, stats, telemetry);
        }

        var authorization = new Dictionary<ChainPlan, Meshwork.Proxy.Listeners.NetworkAuthorization>(ReferenceEqualityComparer.Instance);
        foreach (var chain in plan.Plans)
        {
            if (chain is HttpChainPlan http && (http.Tls != null || chain.ExtAuthz != null) && (chain.RbacFilters.Count > 0 || chain.ExtAuthz != null))
            {
                // The peer identity is only known after the handshake, inside the HTTP server, and an
                // HTTP chain checks requests with the HTTP filters; no Istio config puts these here.
                throw new ProxyConfigException($"listener \"{listener.Name}\": {chain.ChainLabel}: {ListenerPlan.RbacFilter} before a TLS-terminating {ListenerPlan.HttpConnectionManagerFilter}, and {ListenerPlan.ExtAuthzFilter} before any, are not supported");
            }

            if (Meshwork.Proxy.Listeners.NetworkAuthorization.Compile(chain, listener.Name, stats) is { } compiled)
            {
                authorization[chain] = compiled;
            }
        }

        return new CompiledListener
        {
            Source = resource,
            BindAt = BindAddress(listener, options),
            Plan = plan,
            NetworkAuthorization = authorization.ToFrozenDictionary(ReferenceEqualityComparer.Instance as IEqualityComparer<ChainPlan> ?? EqualityComparer<ChainPlan>.Default),
            Managers = managers.ToFrozenDictionary(ReferenceEqualityComparer.Instance as IEqualityComparer<HttpChainPlan> ?? EqualityComparer<HttpChainPlan>.Default),
        };
    }
}
