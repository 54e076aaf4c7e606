using Meshwork.Config.Diagnostics;
using Meshwork.Config.Resources;

namespace Meshwork.Config.Validation;

/// <summary>
/// One concern of validation (hosts, retries, TLS settings, ...), reproducing Istio's validator for it.
/// Rules are pure: they read a resource and report through the context, nothing else.
/// </summary>
public interface IValidationRule
{
    void Validate(ConfigResource resource, RuleContext context);
}

/// <summary>A rule over the spec of one kind.</summary>
public abstract class SpecRule<TSpec> : IValidationRule
    where TSpec : class
{
    public void Validate(ConfigResource resource, RuleContext context)
    {
        if (resource.Spec is TSpec spec)
        {
            Check(spec, context);
        }
    }

    protected abstract void Check(TSpec spec, RuleContext context);
}

/// <summary>What a rule sees of the resource under check, and where it reports. Paths start at the resource root (<c>spec.hosts[0]</c>).</summary>
public sealed class RuleContext(ConfigResource resource, ICollection<ConfigDiagnostic> sink)
{
    public ConfigResource Resource { get; } = resource;

    /// <summary>The resource's namespace (<c>default</c> when unset), against which short host names resolve.</summary>
    public string Namespace => Resource.Namespace;

    public void Error(string path, string message) => Report(Severity.Error, path, message);

    public void Warning(string path, string message) => Report(Severity.Warning, path, message);

    /// <summary>True when the field at <paramref name="path"/> was written in the source (proto3 cannot tell an unset scalar from its zero value).</summary>
    public bool IsSet(string path) => Resource.Lines.Contains(path);

    private void Report(Severity severity, string path, string message) =>
        sink.Add(new ConfigDiagnostic(severity, Resource.Source.File, Resource.Lines.LineOf(path), message)
        {
            Resource = Resource.ToString(),
            Path = path,
        });
}
