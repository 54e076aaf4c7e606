using Meshwork.Config.Resources;
using Meshwork.Config.Security;
using Meshwork.Config.Validation.Security;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Generators.Authorization;

/// <summary>One AuthorizationPolicy that applies to a proxy, with whether it only runs in shadow (<c>istio.io/dry-run</c>).</summary>
internal sealed record SelectedPolicy(string Namespace, string Name, AuthorizationPolicy Spec, bool DryRun);

/// <summary>
/// The AuthorizationPolicies that apply to one workload, per action (Istio's
/// AuthorizationPolicies.ListAuthorizationPolicies): those of the root namespace (mesh-wide) and of
/// the workload's namespace, whose selector is empty or matches the workload's labels. Policies that
/// attach by <c>targetRef(s)</c> bind gateways and waypoints only, never a sidecar, so they are left out.
/// Ordered by namespace then name so the output does not depend on the store's order.
/// </summary>
internal sealed record AuthorizationScope(
    IReadOnlyList<SelectedPolicy> Custom,
    IReadOnlyList<SelectedPolicy> Deny,
    IReadOnlyList<SelectedPolicy> Allow,
    IReadOnlyList<SelectedPolicy> Audit)
{
    public bool IsEmpty => Custom.Count == 0 && Deny.Count == 0 && Allow.Count == 0 && Audit.Count == 0;

    /// <summary>The ext_authz filter the CUSTOM policies delegate to, or the error that makes them fail closed; null without CUSTOM policies.</summary>
    public ExtAuthzResolution? ExtAuthz { get; init; }

    public static AuthorizationScope For(MeshSnapshot snapshot, ProxyNode proxy)
    {
        var root = snapshot.Mesh.EffectiveRootNamespace;
        var selected = snapshot.Config.OfKind(ResourceKinds.AuthorizationPolicy)
            .Where(r => r.Namespace == root || r.Namespace == proxy.Namespace)
            .Select(r => (Resource: r, Spec: r.SpecAs<AuthorizationPolicy>()))
            .Where(p => p.Spec.TargetRef == null && p.Spec.TargetRefs.IsEmpty && Selects(p.Spec, proxy))
            .OrderBy(p => p.Resource.Namespace, StringComparer.Ordinal)
            .ThenBy(p => p.Resource.Name, StringComparer.Ordinal)
            .Select(p => new SelectedPolicy(p.Resource.Namespace, p.Resource.Name, p.Spec, IsDryRun(p.Resource)))
            .ToList();
        var custom = selected.Where(p => p.Spec.Action == AuthorizationAction.Custom).ToList();
        return new AuthorizationScope(
            custom,
            selected.Where(p => p.Spec.Action == AuthorizationAction.Deny).ToList(),
            selected.Where(p => p.Spec.Action == AuthorizationAction.Allow).ToList(),
            selected.Where(p => p.Spec.Action == AuthorizationAction.Audit).ToList())
        {
            ExtAuthz = custom.Count > 0 ? ExtAuthzProviders.Resolve(snapshot, custom) : null,
        };
    }

    /// <summary>An empty selector selects every workload in scope; otherwise every label must be on the workload.</summary>
    private static bool Selects(AuthorizationPolicy policy, ProxyNode proxy) =>
        policy.Selector is not { MatchLabels.IsEmpty: false } selector
        || selector.MatchLabels.All(l => proxy.Labels.TryGetValue(l.Key, out var value) && value == l.Value);

    /// <summary>Go's strconv.ParseBool truth values, as the validation accepts them.</summary>
    private static bool IsDryRun(ConfigResource resource) =>
        resource.Metadata.Annotations.TryGetValue(DryRunAnnotationRule.Annotation, out var value)
        && value is "1" or "t" or "T" or "TRUE" or "true" or "True";
}
