using Meshwork.Config.Types;
using Meshwork.Config.Values;

namespace Meshwork.Config.Validation.Security;

/// <summary>
/// What a security or telemetry policy applies to: a workload selector, or Gateway-API style
/// target references, never both (Istio's validateOneOfSelectorType, validateWorkloadSelector and
/// validatePolicyTargetReference, shared by PeerAuthentication, RequestAuthentication,
/// AuthorizationPolicy and Telemetry).
/// </summary>
public sealed class PolicyTargetRule<TSpec>(
    Func<TSpec, WorkloadSelector?> selector,
    Func<TSpec, PolicyTargetReference?>? targetRef = null,
    Func<TSpec, ValueList<PolicyTargetReference>>? targetRefs = null) : SpecRule<TSpec>
    where TSpec : class
{
    protected override void Check(TSpec spec, RuleContext context)
    {
        var workloads = selector(spec);
        var single = targetRef?.Invoke(spec);
        var list = targetRefs?.Invoke(spec) ?? ValueList<PolicyTargetReference>.Empty;
        var set = (workloads != null ? 1 : 0) + (single != null ? 1 : 0) + (list.Count > 0 ? 1 : 0);
        if (set > 1)
        {
            context.Error(list.Count > 0 ? "spec.targetRefs" : "spec.targetRef", "only one of selector, targetRef or targetRefs can be set");
        }

        WorkloadSelectors.Check(workloads, "spec.selector", context);
        if (single != null)
        {
            TargetReferences.Check(single, "spec.targetRef", context);
        }

        for (var i = 0; i < list.Count; i++)
        {
            TargetReferences.Check(list[i], $"spec.targetRefs[{i}]", context);
        }
    }
}

/// <summary>Istio's validateWorkloadSelector (istio.type.v1beta1), plus the label syntax every selector shares.</summary>
public static class WorkloadSelectors
{
    public static void Check(WorkloadSelector? selector, string path, RuleContext context)
    {
        if (selector == null)
        {
            return;
        }

        foreach (var (key, value) in selector.MatchLabels)
        {
            var entry = $"{path}.matchLabels[{key}]";
            if (key.Length == 0)
            {
                context.Error(entry, $"empty key is not supported in selector: \"={value}\"");
                continue;
            }

            if (key.Contains('*', StringComparison.Ordinal) || value.Contains('*', StringComparison.Ordinal))
            {
                context.Error(entry, $"wildcard is not supported in selector: \"{key}={value}\"");
                continue;
            }

            foreach (var (_, message) in Checks.Labels([KeyValuePair.Create(key, value)]))
            {
                context.Error(entry, message);
            }
        }

        if (selector.MatchLabels.IsEmpty)
        {
            context.Warning(path, "workload selector specified without labels; the policy applies to every workload in the namespace");
        }
    }
}

/// <summary>Istio's validatePolicyTargetReference: a same-namespace Service, ServiceEntry, Gateway or GatewayClass.</summary>
public static class TargetReferences
{
    private static readonly (string Group, string Kind)[] Allowed =
    [
        ("core", "Service"),
        ("networking.istio.io", "ServiceEntry"),
        ("gateway.networking.k8s.io", "Gateway"),
        ("gateway.networking.k8s.io", "GatewayClass"),
    ];

    public static void Check(PolicyTargetReference reference, string path, RuleContext context)
    {
        if (reference.Name.Length == 0)
        {
            context.Error($"{path}.name", "must be set");
        }

        if (reference.Namespace.Length > 0)
        {
            context.Error($"{path}.namespace", "must not be set; cross namespace referencing is not supported");
        }

        var group = reference.Group.Length == 0 ? "core" : reference.Group;
        if (!Allowed.Contains((group, reference.Kind)))
        {
            context.Error(
                context.IsSet($"{path}.kind") ? $"{path}.kind" : path,
                $"must reference one of {string.Join(", ", Allowed.Select(a => $"{a.Group}/{a.Kind}"))}, got {group}/{reference.Kind}");
        }
    }
}
