using System.Runtime.CompilerServices;
using Envoy.Config.Listener.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Resources;
using Meshwork.Pilot.Generators.Routes;
using Meshwork.Pilot.Model;
using Meshwork.Pilot.Push;
using Meshwork.Pilot.Xds;

namespace Meshwork.Pilot.Generators.Listeners;

/// <summary>
/// LDS: the listeners of one proxy. Sidecars get their inbound listeners (one per served port, on
/// the workload's address), then <c>virtualOutbound</c>, egress and per-port TCP/TLS listeners;
/// routers one listener per Gateway server port; proxyless gRPC clients one api_listener per
/// <c>host:port</c> they asked for. With names, only those listeners are returned.
/// </summary>
public sealed class ListenerGenerator : IResourceGenerator
{
    public string TypeUrl => TypeUrls.Listener;

    public IReadOnlyList<GeneratedResource> Generate(MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names)
    {
        IEnumerable<Listener> listeners;
        var inboundNames = new HashSet<string>(StringComparer.Ordinal);
        if (proxy.IsProxylessGrpc)
        {
            listeners = ProxylessListeners.Build(snapshot, proxy, names);
        }
        else if (proxy.Type == ProxyType.Router)
        {
            listeners = GatewayListeners.Build(snapshot, proxy);
        }
        else
        {
            var address = proxy.IpAddress.Length > 0 ? proxy.IpAddress : "0.0.0.0";
            var taken = new HashSet<string>(StringComparer.Ordinal);

            // Inbound claims names first: a port the workload serves is never also an outbound listener.
            var inbound = SidecarInboundListeners.Build(snapshot, proxy, address, taken).ToList();
            inboundNames.UnionWith(inbound.Select(l => l.Name));
            listeners = inbound.Concat(SidecarOutboundListeners.Build(snapshot, proxy, address, taken).ToList());
        }

        var (client, server) = Logs(snapshot, proxy);
        var tracing = proxy.IsProxylessGrpc ? HcmTracing.ProxyTracing.None : HcmTracing.For(snapshot, proxy);
        var metrics = proxy.IsProxylessGrpc ? null : TelemetryMetrics.For(snapshot, proxy);
        return listeners
            .Where(l => names == null || proxy.IsProxylessGrpc || names.Contains(l.Name))
            .OrderBy(l => l.Name, StringComparer.Ordinal)
            .Select(l =>
            {
                AccessLogs.AddTo(l, inboundNames.Contains(l.Name) ? server : client);
                HcmTracing.AddTo(l, tracing);
                if (!proxy.IsProxylessGrpc)
                {
                    TelemetryFilters.AddTo(l, gateway: proxy.Type == ProxyType.Router, metrics);
                }

                return new GeneratedResource(l.Name, Any.Pack(l));
            })
            .ToList();
    }

    /// <summary>
    /// The access logs of the client side (outbound and gateway listeners, as Istio classes gateways)
    /// and the server side (inbound): the Telemetry API's when it speaks of access logging, else
    /// MeshConfig's accessLogFile. Proxyless gRPC clients log nothing.
    /// </summary>
    private static (IReadOnlyList<Envoy.Config.Accesslog.V3.AccessLog> Client, IReadOnlyList<Envoy.Config.Accesslog.V3.AccessLog> Server) Logs(MeshSnapshot snapshot, ProxyNode proxy)
    {
        if (proxy.IsProxylessGrpc)
        {
            return ([], []);
        }

        var client = TelemetryAccessLogs.For(snapshot, proxy, Config.Telemetry.WorkloadMode.Client);
        if (client == null)
        {
            IReadOnlyList<Envoy.Config.Accesslog.V3.AccessLog> legacy = AccessLogs.For(snapshot.Mesh) is { } log ? [log] : [];
            return (legacy, legacy);
        }

        return (client, TelemetryAccessLogs.For(snapshot, proxy, Config.Telemetry.WorkloadMode.Server) ?? []);
    }

    /// <summary>Listeners change only with config or services (full pushes); an endpoint-only push never rebuilds them.</summary>
    public bool Concerns(PushRequest request, ProxyNode proxy) => request.Full;

    /// <summary>
    /// Also an endpoint push that changes the proxy's own service targets: a workload that registers
    /// when its proxy connects (auto-registration) must get its inbound listeners even when its first
    /// LDS answer was built before the registration reached the snapshot.
    /// </summary>
    public bool Concerns(PushRequest request, ProxyNode proxy, MeshSnapshot snapshot) =>
        (request.Full && !UnaffectedSidecar(request, proxy, snapshot)) || OwnTargetsChanged(request, proxy, snapshot);

    /// <summary>
    /// The config kinds a sidecar's listeners are never built from (Istio's skippedLdsConfigs for
    /// sidecars): Gateways bind gateways' listeners only; WorkloadEntries and WorkloadGroups reach a
    /// sidecar's listeners only through the registry, as its own service targets, which an endpoint
    /// push names (<see cref="OwnTargetsChanged"/>). RequestAuthentication (the inbound jwt_authn
    /// filter), PeerAuthentication (the inbound chains' mTLS mode), AuthorizationPolicy (the inbound
    /// RBAC filters) and Telemetry (access logs, the HCMs' tracing, the stats filters' metric overrides) are read.
    /// </summary>
    private static readonly IReadOnlySet<string> SidecarKindsNotRead = new HashSet<string>(StringComparer.Ordinal)
    {
        ResourceKinds.Gateway.Kind, ResourceKinds.WorkloadEntry.Kind, ResourceKinds.WorkloadGroup.Kind,
    };

    private static readonly IReadOnlySet<string> SidecarKindsNotReadWithoutTcp = new HashSet<string>(SidecarKindsNotRead, StringComparer.Ordinal)
    {
        ResourceKinds.VirtualService.Kind,
    };

    /// <summary>
    /// A full push caused only by config a sidecar's listeners do not read. VirtualServices count only
    /// for TCP and TLS routes: a sidecar whose egress has no TCP/TLS service port and no non-HTTP egress
    /// listener routes all its traffic through RDS, so its listeners (per proxy, as they bind its own
    /// address) are not rebuilt for every proxy on each VirtualService change.
    /// </summary>
    private static bool UnaffectedSidecar(PushRequest request, ProxyNode proxy, MeshSnapshot snapshot)
    {
        if (proxy.Type != ProxyType.Sidecar || proxy.IsProxylessGrpc || !request.OnlyConfigsOfKinds(SidecarKindsNotReadWithoutTcp))
        {
            return false;
        }

        if (request.OnlyConfigsOfKinds(SidecarKindsNotRead))
        {
            return true;
        }

        // Asked for each proxy on every VirtualService change; the scopes are shared by every proxy with the same inputs.
        return HttpOnlyEgress.GetValue(EgressListenerScope.For(snapshot, proxy), scopes => new StrongBox<bool>(scopes.All(scope => scope.IsCatchAll
            ? !scope.Services.Any(s => s.Ports.Any(p => OutboundTcpChains.IsTcpOrTls(p.Protocol)))
            : SidecarRouteTables.IsHttpEgress(scope)))).Value;
    }

    /// <summary>Whether a proxy's egress scopes route all their traffic through RDS, kept as long as the scopes are.</summary>
    private static readonly ConditionalWeakTable<IReadOnlyList<EgressListenerScope>, StrongBox<bool>> HttpOnlyEgress = new();

    /// <summary>Whether an endpoint push names a service this proxy's workload is an endpoint of (its inbound listeners and clusters).</summary>
    internal static bool OwnTargetsChanged(PushRequest request, ProxyNode proxy, MeshSnapshot snapshot) =>
        !request.EndpointsUpdated.IsEmpty
        && !proxy.IsProxylessGrpc
        && proxy.Type != ProxyType.Router
        && proxy.IpAddresses.SelectMany(ip => snapshot.Registry.EndpointsAt(ip, proxy.Namespace)).Any(e => request.EndpointsUpdated.Contains(e.Hostname));
}
