using Meshwork.Config.Mixer;

namespace Meshwork.Config.Validation.Mixer;

/// <summary>
/// Structural checks on Mixer's config.istio.io kinds. Expressions are type-checked by Mixer when it compiles the
/// config against the attribute manifests, since only then are all attribute types known.
/// </summary>
public static class MixerRules
{
    public static IReadOnlyList<IValidationRule> All { get; } = [new HandlerRule(), new InstanceRule(), new RuleActionsRule(), new AttributeManifestRule()];

    private sealed class HandlerRule : SpecRule<Handler>
    {
        protected override void Check(Handler spec, RuleContext context)
        {
            if (spec.CompiledAdapter.Length == 0 && spec.Adapter.Length == 0)
            {
                context.Error("spec.compiledAdapter", "required: the adapter this handler configures (compiledAdapter, or adapter for an out-of-process one)");
            }
        }
    }

    private sealed class InstanceRule : SpecRule<Instance>
    {
        protected override void Check(Instance spec, RuleContext context)
        {
            if (spec.CompiledTemplate.Length == 0 && spec.Template.Length == 0)
            {
                context.Error("spec.compiledTemplate", "required: the template this instance fills (compiledTemplate, or template)");
            }
        }
    }

    private sealed class RuleActionsRule : SpecRule<Rule>
    {
        protected override void Check(Rule spec, RuleContext context)
        {
            for (var i = 0; i < spec.Actions.Count; i++)
            {
                var action = spec.Actions[i];
                if (action.Handler.Length == 0)
                {
                    context.Error($"spec.actions[{i}].handler", "required: the handler that receives the instances");
                }

                if (action.Instances.Count == 0)
                {
                    context.Error($"spec.actions[{i}].instances", "required: at least one instance");
                }
            }
        }
    }

    private sealed class AttributeManifestRule : SpecRule<AttributeManifest>
    {
        protected override void Check(AttributeManifest spec, RuleContext context)
        {
            foreach (var (name, info) in spec.Attributes)
            {
                if (info is { ValueType: AttributeValueType.ValueTypeUnspecified })
                {
                    context.Error($"spec.attributes[{name}].valueType", "required: the attribute's type (STRING, INT64, ..., STRING_MAP)");
                }
            }
        }
    }
}
