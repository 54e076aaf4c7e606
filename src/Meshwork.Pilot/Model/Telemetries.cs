using System.Runtime.CompilerServices;
using Meshwork.Config.Resources;
using Meshwork.Config.Telemetry;
using Meshwork.Config.Values;

namespace Meshwork.Pilot.Model;

/// <summary>
/// The Telemetry resources that apply to one workload, in Istio's order of increasing precedence:
/// the root namespace's selector-less one, its namespace's selector-less one, then one in its
/// namespace whose selector matches its labels. At each level only the oldest counts (Istio ignores
/// the others and its analyzer flags them). Indexed once per snapshot; each telemetry kind (metrics,
/// tracing, access logging) merges the list by its own rules.
/// </summary>
public static class Telemetries
{
    private static readonly ConditionalWeakTable<MeshSnapshot, ILookup<string, (Telemetry Spec, bool HasSelector)>> Indexes = new();

    public static IReadOnlyList<Telemetry> Applicable(MeshSnapshot snapshot, string @namespace, ValueMap<string, string> labels)
    {
        var byNamespace = Indexes.GetValue(snapshot, Build);
        var root = snapshot.Mesh.EffectiveRootNamespace;
        var result = new List<Telemetry>(3);
        AddOldest(result, byNamespace[root].Where(t => !t.HasSelector));
        if (@namespace != root)
        {
            AddOldest(result, byNamespace[@namespace].Where(t => !t.HasSelector));
        }

        AddOldest(result, byNamespace[@namespace].Where(t => t.HasSelector && t.Spec.Selector!.MatchLabels.All(l => labels.TryGetValue(l.Key, out var v) && v == l.Value)));
        return result;
    }

    private static ILookup<string, (Telemetry Spec, bool HasSelector)> Build(MeshSnapshot snapshot) =>
        snapshot.Config.OfKind(ResourceKinds.Telemetry)
            .OrderBy(r => r.Metadata.CreationTimestamp, StringComparer.Ordinal)
            .ThenBy(r => r.Name + "." + r.Namespace, StringComparer.Ordinal)
            .Select(r => (r.Namespace, Spec: r.SpecAs<Telemetry>()))
            .ToLookup(r => r.Namespace, r => (r.Spec, r.Spec.Selector is { MatchLabels.IsEmpty: false }), StringComparer.Ordinal);

    private static void AddOldest(List<Telemetry> result, IEnumerable<(Telemetry Spec, bool HasSelector)> candidates)
    {
        foreach (var (spec, _) in candidates)
        {
            result.Add(spec);
            return;
        }
    }
}
