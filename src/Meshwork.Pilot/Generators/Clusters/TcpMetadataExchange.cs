using Envoy.Tcp.MetadataExchange.Config;

namespace Meshwork.Pilot.Generators.Clusters;

/// <summary>
/// Istio's TCP metadata exchange filter (<c>istio.metadata_exchange</c>), upstream on mTLS clusters
/// and downstream on inbound TCP mTLS chains: when a connection's ALPN is istio-peer-exchange, each
/// side announces its workload ahead of its bytes, so TCP metrics carry both peers' labels.
/// </summary>
internal static class TcpMetadataExchange
{
    public const string FilterName = "istio.metadata_exchange";

    public static MetadataExchange Config { get; } = new() { Protocol = "istio-peer-exchange" };
}
