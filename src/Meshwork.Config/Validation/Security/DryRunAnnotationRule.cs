using Meshwork.Config.Binding;
using Meshwork.Config.Resources;

namespace Meshwork.Config.Validation.Security;

/// <summary>
/// The <c>istio.io/dry-run</c> annotation (Istio's checkDryRunAnnotation, run for every kind):
/// only AuthorizationPolicy takes it, only with ALLOW or DENY, and its value is a Go boolean.
/// </summary>
public sealed class DryRunAnnotationRule : IValidationRule
{
    public const string Annotation = "istio.io/dry-run";

    private static readonly string[] GoBooleans = ["1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"];

    public void Validate(ConfigResource resource, RuleContext context)
    {
        if (!resource.Metadata.Annotations.TryGetValue(Annotation, out var value))
        {
            return;
        }

        var path = $"metadata.annotations[{Annotation}]";
        if (resource.Spec is not Config.Security.AuthorizationPolicy policy)
        {
            context.Error(path, $"unsupported annotation {Annotation} on {resource.Kind.Kind}, please remove the annotation");
            return;
        }

        if (policy.Action is not (Config.Security.AuthorizationAction.Allow or Config.Security.AuthorizationAction.Deny))
        {
            context.Error(path, $"the annotation {Annotation} currently only supports action ALLOW/DENY, found action {WireNames.Of(policy.Action)}");
        }
        else if (!GoBooleans.Contains(value))
        {
            context.Error(path, $"invalid value \"{value}\", expected true or false");
        }
    }
}
