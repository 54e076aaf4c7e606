using System.Runtime.CompilerServices;
using Meshwork.Config.Networking;
using Meshwork.Config.Resources;
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
    /// <summary>Read once per snapshot: every cluster of every proxy asks.</summary>
    private static readonly ConditionalWeakTable<MeshSnapshot, Dictionary<string, MutualTlsMode>> NamespaceModes = new();

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

        var mode = NamespaceMode(snapshot, service.Namespace);
        if (mode == MutualTlsMode.Unset)
        {
            mode = NamespaceMode(snapshot, snapshot.Mesh.EffectiveRootNamespace);
        }

        return mode switch
        {
            MutualTlsMode.Disable => ServiceMtlsMode.Disable,
            MutualTlsMode.Strict => ServiceMtlsMode.Strict,
            _ => ServiceMtlsMode.Permissive,
        };
    }

    /// <summary>The mode of the namespace's selector-less PeerAuthentication (the oldest, when several), or UNSET.</summary>
    private static MutualTlsMode NamespaceMode(MeshSnapshot snapshot, string @namespace) =>
        NamespaceModes.GetValue(snapshot, IndexModes).GetValueOrDefault(@namespace, MutualTlsMode.Unset);

    private static Dictionary<string, MutualTlsMode> IndexModes(MeshSnapshot snapshot) =>
        snapshot.Config.OfKind(ResourceKinds.PeerAuthentication)
            .Select(r => (Resource: r, Spec: r.SpecAs<PeerAuthentication>()))
            .Where(p => p.Spec.Selector is null or { MatchLabels.IsEmpty: true })
            .OrderBy(p => p.Resource.Metadata.CreationTimestamp, StringComparer.Ordinal)
            .ThenBy(p => p.Resource.Name, StringComparer.Ordinal)
            .GroupBy(p => p.Resource.Namespace, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().Spec.Mtls?.Mode ?? MutualTlsMode.Unset, StringComparer.Ordinal);
}
