using Envoy.Config.Cluster.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Networking;
using Meshwork.Pilot.Generators.Endpoints;

namespace Meshwork.Pilot.Generators.Clusters;

/// <summary>What decides an outbound cluster's TLS.</summary>
/// <param name="Tls">The rule's TLS settings for this port and subset, if any.</param>
/// <param name="ServiceSans">The identities the service's servers may present: their SPIFFE ids and the ServiceEntry's subjectAltNames.</param>
/// <param name="IstioSni">The SNI Istio mTLS sends, <c>outbound_.PORT_.SUBSET_.HOST</c>.</param>
/// <param name="AutoMtls">Auto mTLS may apply: MeshConfig enables it and the service is in the mesh and not known to refuse mTLS.</param>
/// <param name="Sidecar">The proxy is a sidecar (credential names then need a rule with a workload selector).</param>
/// <param name="RuleHasSelector">The rule that applies selects workloads.</param>
internal sealed record ClusterTlsInputs(
    ClientTlsSettings? Tls,
    IReadOnlyList<string> ServiceSans,
    string IstioSni,
    bool AutoMtls,
    bool Sidecar,
    bool RuleHasSelector);

/// <summary>
/// Chooses and applies an outbound cluster's TLS (Istio's buildUpstreamTLSSettings and
/// applyUpstreamTLSSettings). A rule's TLS is used as written (ISTIO_MUTUAL filled in with the
/// service's identities and Istio's SNI); without one, auto mTLS makes the cluster choose per
/// endpoint through <c>transport_socket_matches</c>: Istio mTLS to endpoints labelled
/// <c>tlsMode: istio</c>, plaintext to the others, so a client never needs to know which servers
/// have a sidecar.
/// </summary>
internal static class ClusterTls
{
    public static void Apply(Cluster cluster, UpstreamHttpOptions http, ClusterTlsInputs inputs)
    {
        var (settings, autoDetected) = Choose(inputs);
        if (settings == null)
        {
            return;
        }

        var context = settings.Mode switch
        {
            ClientTlsMode.IstioMutual => UpstreamTlsContexts.IstioMutual(settings.SubjectAltNames, settings.Sni, http.IsHttp2),
            ClientTlsMode.Simple or ClientTlsMode.Mutual => UpstreamTlsContexts.Originated(settings, inputs.ServiceSans, http),
            _ => null,
        };
        if (context == null)
        {
            return;
        }

        if (settings.Mode == ClientTlsMode.IstioMutual)
        {
            // Istio's TCPClusterMx: on an istio-peer-exchange connection the client announces its workload.
            cluster.Filters.Add(new Filter { Name = TcpMetadataExchange.FilterName, TypedConfig = Any.Pack(TcpMetadataExchange.Config) });
        }

        var socket = UpstreamTlsContexts.Socket(context);
        if (!autoDetected || cluster.Type == Cluster.Types.DiscoveryType.OriginalDst)
        {
            // An original-destination cluster has no endpoint metadata to match on; inference already required every endpoint to have a sidecar.
            cluster.TransportSocket = socket;
            return;
        }

        cluster.TransportSocketMatches.Add(new Cluster.Types.TransportSocketMatch
        {
            Name = "tlsMode-" + EndpointMetadata.TlsModeIstio,
            Match = new Struct { Fields = { [EndpointMetadata.TlsModeKey] = Value.ForString(EndpointMetadata.TlsModeIstio) } },
            TransportSocket = socket,
        });
        cluster.TransportSocketMatches.Add(new Cluster.Types.TransportSocketMatch
        {
            Name = "tlsMode-disabled",
            Match = new Struct(),
            TransportSocket = UpstreamTlsContexts.RawBuffer(),
        });
    }

    /// <summary>The settings to use, and whether they were chosen by auto mTLS rather than written by the user.</summary>
    public static (ClientTlsSettings? Settings, bool AutoDetected) Choose(ClusterTlsInputs inputs)
    {
        if (inputs.Tls is { } tls)
        {
            return tls.Mode switch
            {
                ClientTlsMode.IstioMutual => (tls with
                {
                    Sni = tls.Sni.Length > 0 ? tls.Sni : inputs.IstioSni,
                    SubjectAltNames = tls.SubjectAltNames.IsEmpty ? new(inputs.ServiceSans) : tls.SubjectAltNames,
                }, false),

                // A credential is served only to proxies a rule selects: sending every sidecar a secret
                // it may not read would stall its start-up (Istio skips TLS here).
                ClientTlsMode.Simple or ClientTlsMode.Mutual when tls.CredentialName.Length > 0 && inputs.Sidecar && !inputs.RuleHasSelector => (null, false),
                _ => (tls, false),
            };
        }

        if (!inputs.AutoMtls)
        {
            return (null, false);
        }

        return (new ClientTlsSettings { Mode = ClientTlsMode.IstioMutual, SubjectAltNames = new(inputs.ServiceSans), Sni = inputs.IstioSni }, true);
    }
}
