using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Pilot.Generators.Routes;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Generators.Listeners;

/// <summary>
/// Listeners for proxyless gRPC clients (Istio's grpcgen buildOutboundListeners): one per
/// requested <c>host:port</c>, named as requested, carrying only an api_listener whose HCM reads
/// the route table of the same name over ADS, with the filters gRPC supports (fault, then router
/// last). A client treats a Listener without api_listener as missing, and NACKs unknown filters.
/// </summary>
internal static class ProxylessListeners
{
    public static IEnumerable<Listener> Build(MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names)
    {
        var scope = EgressListenerScope.For(snapshot, proxy).FirstOrDefault(s => s.IsCatchAll);
        if (scope == null)
        {
            yield break;
        }

        foreach (var target in ProxylessTargets.Resolve(names, scope.Services, proxy).DistinctBy(t => t.Name, StringComparer.Ordinal))
        {
            var manager = new HttpConnectionManager
            {
                Rds = new Rds
                {
                    ConfigSource = new Envoy.Config.Core.V3.ConfigSource { Ads = new Envoy.Config.Core.V3.AggregatedConfigSource(), ResourceApiVersion = Envoy.Config.Core.V3.ApiVersion.V3 },
                    RouteConfigName = target.Name,
                },
                HttpFilters = { HttpConnectionManagers.Fault(), HttpConnectionManagers.Router() },
            };
            var address = target.Service.Addresses.FirstOrDefault(a => !a.Contains('/', StringComparison.Ordinal)) ?? "0.0.0.0";
            yield return new Listener
            {
                Name = target.Name,
                Address = NetworkFilters.SocketAddress(address, target.Port.Number),
                ApiListener = new ApiListener { ApiListener_ = Any.Pack(manager) },
            };
        }
    }
}
