using Meshwork.Config.Diagnostics;
using Meshwork.Config.Resources;
using Meshwork.Mixer.Adapters;
using Meshwork.Mixer.Lang;

namespace Meshwork.Mixer.Runtime;

/// <summary>
/// Mixer's config compiled whole: typed manifest, built handlers, compiled instances and rules. Immutable once built;
/// the dispatcher takes one reference per call, and a new config replaces it with one exchange.
/// </summary>
public sealed class MixerSnapshot
{
    public static MixerSnapshot Empty { get; } = new(new Dictionary<string, AttributeType>(), [], [], [], [], []);

    public MixerSnapshot(
        IReadOnlyDictionary<string, AttributeType> manifest,
        IReadOnlyList<CompiledRule> rules,
        IReadOnlyList<IAdapter> handlers,
        IReadOnlyList<ConfigResource> quotaSpecs,
        IReadOnlyList<ConfigResource> quotaSpecBindings,
        IReadOnlyList<ConfigDiagnostic> diagnostics)
    {
        Manifest = manifest;
        Rules = rules;
        Handlers = handlers;
        QuotaSpecs = quotaSpecs;
        QuotaSpecBindings = quotaSpecBindings;
        Diagnostics = diagnostics;
    }

    public IReadOnlyDictionary<string, AttributeType> Manifest { get; }

    public IReadOnlyList<CompiledRule> Rules { get; }

    public IReadOnlyList<IAdapter> Handlers { get; }

    /// <summary>Kept for the proxy's Mixer client, which decides from them which quotas a request charges.</summary>
    public IReadOnlyList<ConfigResource> QuotaSpecs { get; }

    public IReadOnlyList<ConfigResource> QuotaSpecBindings { get; }

    /// <summary>Every located problem met while compiling; the resources concerned are left out, the rest still apply.</summary>
    public IReadOnlyList<ConfigDiagnostic> Diagnostics { get; }
}

/// <summary>A rule ready to run: its scope, its compiled match (null matches everything) and its actions.</summary>
public sealed record CompiledRule(string Namespace, string Name, CompiledExpression? Match, IReadOnlyList<CompiledAction> Actions)
{
    public override string ToString() => $"rule {Namespace}/{Name}";
}

/// <summary>A rule action: the handler's adapter and the instances it receives.</summary>
public sealed record CompiledAction(IAdapter Handler, IReadOnlyList<CompiledInstance> Instances);
