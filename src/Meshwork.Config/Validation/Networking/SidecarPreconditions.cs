using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Istio's ValidateSidecar stops at a bad workload selector or an empty Sidecar and reports only
/// that, so every other Sidecar rule runs only when these pass.
/// </summary>
internal static class SidecarPreconditions
{
    public static IEnumerable<(string Path, string Message)> SelectorErrors(Sidecar spec)
    {
        if (spec.WorkloadSelector is not { } selector)
        {
            yield break;
        }

        foreach (var (key, value) in selector.Labels)
        {
            var path = $"spec.workloadSelector.labels[{key}]";
            if (key.Length == 0)
            {
                yield return (path, $"empty key is not supported in selector: \"{key}={value}\"");
            }

            if (key.Contains('*', StringComparison.Ordinal) || value.Contains('*', StringComparison.Ordinal))
            {
                yield return (path, $"wildcard is not supported in selector: \"{key}={value}\"");
            }
        }
    }

    public static bool IsEmpty(Sidecar spec) =>
        spec.Ingress.Count == 0 && spec.Egress.Count == 0 && spec.OutboundTrafficPolicy == null && spec.InboundConnectionPool == null;

    /// <summary>True when Istio goes on to check the listeners and policies.</summary>
    public static bool Hold(Sidecar spec) => !SelectorErrors(spec).Any() && !IsEmpty(spec);
}
