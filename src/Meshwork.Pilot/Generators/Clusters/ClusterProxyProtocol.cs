using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Extensions.TransportSockets.ProxyProtocol.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Networking;

namespace Meshwork.Pilot.Generators.Clusters;

/// <summary>
/// DestinationRule <c>proxyProtocol</c> (Istio's applyUpstreamProxyProtocol): every transport socket
/// the cluster may use (plain, TLS, or each auto-mTLS match) is wrapped so a PROXY header of the
/// requested version goes out first.
/// </summary>
internal static class ClusterProxyProtocol
{
    public const string SocketName = "envoy.transport_sockets.upstream_proxy_protocol";

    public static void Apply(Cluster cluster, ProxyProtocol? proxyProtocol)
    {
        if (proxyProtocol == null)
        {
            return;
        }

        var config = new ProxyProtocolConfig
        {
            Version = proxyProtocol.Version == ProxyProtocolVersion.V2 ? ProxyProtocolConfig.Types.Version.V2 : ProxyProtocolConfig.Types.Version.V1,
        };
        if (cluster.TransportSocketMatches.Count == 0)
        {
            cluster.TransportSocket = Wrap(cluster.TransportSocket ?? UpstreamTlsContexts.RawBuffer(), config);
            return;
        }

        foreach (var match in cluster.TransportSocketMatches)
        {
            match.TransportSocket = Wrap(match.TransportSocket, config);
        }
    }

    private static TransportSocket Wrap(TransportSocket inner, ProxyProtocolConfig config) => new()
    {
        Name = SocketName,
        TypedConfig = Any.Pack(new ProxyProtocolUpstreamTransport { Config = config, TransportSocket = inner }),
    };
}
