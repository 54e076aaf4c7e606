using Meshwork.Config.Networking;
using Meshwork.Config.Security;
using Meshwork.Pilot.Model;
using Meshwork.Registry.Model;

namespace Meshwork.Pilot.Generators.Clusters;

/// <summary>What a client can assume about a service's servers accepting Istio mTLS (Istio's model.MutualTLSMode).</summary>
public enum ServiceMtlsMode
{
    /// <summary>Not known (a mesh-external service): never send Istio mTLS unasked.</summary>
    Unknown,
    Disable,
    Permissive,
    Strict,
}

/// <summary>
/// Istio's BestEffortInferServiceMTLSMode, which decides whether auto mTLS applies: external
/// services are unknown; a pass-through service is mTLS only if every endpoint has a sidecar
/// (there is no per-endpoint match on an original-destination cluster); otherwise the namespace's
/// PeerAuthentication (without selector) decides, else the mesh-wide one in the root namespace,
/// else PERMISSIVE.
/// </summary>
public static class ServiceMtlsInference
{
    public static ServiceMtlsMode For(MeshSnapshot snapshot, MeshService service, MeshServicePort port, TrafficPolicy? policy)
    {
        if (service.IsMeshExternal)
        {
            return ServiceMtlsMode.Unknown;
        }

        if (service.Resolution == ServiceResolution.None || policy?.LoadBalancer?.Simple == SimpleLb.Passthrough)
        {
            var endpoints = snapshot.Registry.EndpointsFor(service.Key, port.Number);
            if (endpoints.Length == 0 || endpoints.Any(e => e.TlsMode == EndpointTlsMode.Disabled))
            {
                return ServiceMtlsMode.Disable;
            }
        }

        var mode = PeerAuthentications.NamespaceMode(snapshot, service.Namespace);
        if (mode == MutualTlsMode.Unset)
        {
            mode = PeerAuthentications.NamespaceMode(snapshot, snapshot.Mesh.EffectiveRootNamespace);
        }

        return mode switch
        {
            MutualTlsMode.Disable => ServiceMtlsMode.Disable,
            MutualTlsMode.Strict => ServiceMtlsMode.Strict,
            _ => ServiceMtlsMode.Permissive,
        };
    }
}
