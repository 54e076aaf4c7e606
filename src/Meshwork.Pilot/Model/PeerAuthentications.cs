using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using Meshwork.Config.Resources;
using Meshwork.Config.Security;
using Meshwork.Config.Values;

namespace Meshwork.Pilot.Model;

/// <summary>
/// The mTLS mode a workload's sidecar accepts, after Istio's precedence (ComposePeerAuthentication):
/// a mode for the workload and, from a workload policy's <c>portLevelMtls</c>, per container port.
/// Never UNSET: what nobody set is PERMISSIVE.
/// </summary>
public sealed record EffectiveMtls(MutualTlsMode Mode, FrozenDictionary<uint, MutualTlsMode> PerPort)
{
    public static readonly EffectiveMtls Permissive = new(MutualTlsMode.Permissive, FrozenDictionary<uint, MutualTlsMode>.Empty);

    /// <summary>The mode on one container (target) port: the port-level override, else the workload's.</summary>
    public MutualTlsMode ForPort(uint port) => PerPort.GetValueOrDefault(port, Mode);
}

/// <summary>
/// PeerAuthentications indexed once per snapshot, oldest first per namespace (creationTimestamp, then
/// <c>name.namespace</c>, as Istio sorts them, so ties resolve the same way). Levels, as Istio's
/// PolicyApplier: the selector-less policy in the root namespace is the mesh's, a selector-less one
/// elsewhere its namespace's, one with labels its namespace's workloads' (in the root namespace a
/// policy with a selector is ignored, as Istio does); workload over namespace over mesh, UNSET
/// inheriting, and several at one level: the oldest.
/// </summary>
public static class PeerAuthentications
{
    private static readonly ConditionalWeakTable<MeshSnapshot, Index> Indexes = new();

    /// <summary>The mode of the namespace's selector-less policy (the oldest), or UNSET when it has none.</summary>
    public static MutualTlsMode NamespaceMode(MeshSnapshot snapshot, string @namespace) =>
        Indexes.GetValue(snapshot, Index.Build).NamespaceMode(@namespace);

    /// <summary>What a workload in <paramref name="namespace"/> with <paramref name="labels"/> accepts.</summary>
    public static EffectiveMtls For(MeshSnapshot snapshot, string @namespace, ValueMap<string, string> labels)
    {
        var index = Indexes.GetValue(snapshot, Index.Build);
        var root = snapshot.Mesh.EffectiveRootNamespace;
        var mode = MutualTlsMode.Permissive;
        mode = Inherit(mode, index.NamespaceMode(root));
        if (@namespace != root)
        {
            mode = Inherit(mode, index.NamespaceMode(@namespace));
        }

        // The root namespace's selector policies are never workload-level (Istio skips them).
        var workload = @namespace == root ? null : index.WorkloadPolicy(@namespace, labels);
        if (workload == null)
        {
            return mode == MutualTlsMode.Permissive ? EffectiveMtls.Permissive : new EffectiveMtls(mode, FrozenDictionary<uint, MutualTlsMode>.Empty);
        }

        mode = Inherit(mode, workload.Mtls?.Mode ?? MutualTlsMode.Unset);
        var perPort = workload.PortLevelMtls.ToFrozenDictionary(p => p.Key, p => Inherit(mode, p.Value?.Mode ?? MutualTlsMode.Unset));
        return new EffectiveMtls(mode, perPort);
    }

    private static MutualTlsMode Inherit(MutualTlsMode parent, MutualTlsMode own) => own == MutualTlsMode.Unset ? parent : own;

    private sealed class Index(FrozenDictionary<string, PeerAuthentication[]> byNamespace)
    {
        public static Index Build(MeshSnapshot snapshot) => new(snapshot.Config.OfKind(ResourceKinds.PeerAuthentication)
            .OrderBy(r => r.Metadata.CreationTimestamp, StringComparer.Ordinal)
            .ThenBy(r => r.Name + "." + r.Namespace, StringComparer.Ordinal)
            .GroupBy(r => r.Namespace, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.Select(r => r.SpecAs<PeerAuthentication>()).ToArray(), StringComparer.Ordinal));

        public MutualTlsMode NamespaceMode(string @namespace) =>
            byNamespace.TryGetValue(@namespace, out var policies)
                ? policies.FirstOrDefault(p => !HasSelector(p))?.Mtls?.Mode ?? MutualTlsMode.Unset
                : MutualTlsMode.Unset;

        public PeerAuthentication? WorkloadPolicy(string @namespace, ValueMap<string, string> labels) =>
            byNamespace.TryGetValue(@namespace, out var policies)
                ? policies.FirstOrDefault(p => HasSelector(p) && p.Selector!.MatchLabels.All(l => labels.TryGetValue(l.Key, out var v) && v == l.Value))
                : null;

        private static bool HasSelector(PeerAuthentication policy) => policy.Selector is { MatchLabels.IsEmpty: false };
    }
}
