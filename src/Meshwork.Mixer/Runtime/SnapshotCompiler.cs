using Meshwork.Config.Binding;
using Meshwork.Config.Diagnostics;
using Meshwork.Config.Mixer;
using Meshwork.Config.Resources;
using Meshwork.Mixer.Adapters;
using Meshwork.Mixer.Lang;

namespace Meshwork.Mixer.Runtime;

/// <summary>
/// Compiles config.istio.io resources into a <see cref="MixerSnapshot"/>: manifests first (they type every
/// expression), then handlers (adapters check their params), instances, and rules that refer to them by name.
/// A resource with an error is left out with a located diagnostic; everything else still applies.
/// </summary>
public sealed class SnapshotCompiler(AdapterFactory adapters)
{
    public MixerSnapshot Compile(IEnumerable<ConfigResource> resources)
    {
        var all = resources.Where(r => r.Kind.Group == ResourceKinds.MixerGroup).ToList();
        var diagnostics = new List<ConfigDiagnostic>();
        var manifest = new Dictionary<string, AttributeType>(StringComparer.Ordinal);
        foreach (var r in all.Where(r => r.Spec is AttributeManifest))
        {
            foreach (var (name, info) in r.SpecAs<AttributeManifest>().Attributes)
            {
                if (info != null)
                {
                    manifest[name] = info.ValueType;
                }
            }
        }

        var compiler = new ExpressionCompiler(manifest);
        var handlers = new Dictionary<(string Ns, string Name), IAdapter>();
        var instances = new Dictionary<(string Ns, string Name), CompiledInstance>();
        foreach (var r in all)
        {
            Guard(r, diagnostics, () =>
            {
                if (r.Spec is Handler h)
                {
                    handlers[(r.Namespace, r.Name)] = adapters.Create($"{r.Name}.handler.{r.Namespace}", h.CompiledAdapter.Length > 0 ? h.CompiledAdapter : h.Adapter, ParamsNode.From(h.Params, "spec.params"), "spec.compiledAdapter");
                }
                else if (r.Spec is Instance i)
                {
                    var template = Template(i.CompiledTemplate.Length > 0 ? i.CompiledTemplate : i.Template, "spec.compiledTemplate");
                    instances[(r.Namespace, r.Name)] = CompiledInstance.Compile(r.Name, $"{r.Name}.instance.{r.Namespace}", template, ParamsNode.From(i.Params, "spec.params"), compiler);
                }
                else if (r.Spec is RawValue raw && ResourceKinds.MixerAdapterKinds.Contains(r.Kind.Kind))
                {
                    handlers[(r.Namespace, r.Name)] = adapters.Create($"{r.Name}.{r.Kind.Kind}.{r.Namespace}", r.Kind.Kind, ParamsNode.From(raw, "spec"), "kind");
                }
                else if (r.Spec is RawValue rawInstance && ResourceKinds.MixerTemplateKinds.Contains(r.Kind.Kind))
                {
                    instances[(r.Namespace, r.Name)] = CompiledInstance.Compile(r.Name, $"{r.Name}.{r.Kind.Kind}.{r.Namespace}", Template(r.Kind.Kind, "kind"), ParamsNode.From(rawInstance, "spec"), compiler);
                }
            });
        }

        var rules = new List<CompiledRule>();
        foreach (var r in all.Where(r => r.Spec is Rule))
        {
            Guard(r, diagnostics, () => rules.Add(CompileRule(r, compiler, handlers, instances)));
        }

        return new MixerSnapshot(
            manifest,
            rules,
            [.. handlers.Values],
            [.. all.Where(r => r.Spec is QuotaSpec)],
            [.. all.Where(r => r.Spec is QuotaSpecBinding)],
            diagnostics);
    }

    private static TemplateInfo Template(string name, string path) =>
        TemplateInfo.All.GetValueOrDefault(name)
        ?? throw new MixerConfigException(path, $"unknown template \"{name}\", expected one of: {string.Join(", ", TemplateInfo.All.Keys.Order())}");

    private static CompiledRule CompileRule(ConfigResource r, ExpressionCompiler compiler, Dictionary<(string, string), IAdapter> handlers, Dictionary<(string, string), CompiledInstance> instances)
    {
        var rule = r.SpecAs<Rule>();
        CompiledExpression? match = null;
        if (rule.Match.Trim().Length > 0)
        {
            try
            {
                match = compiler.Compile(rule.Match, AttributeType.Bool);
            }
            catch (ExpressionException e)
            {
                throw new MixerConfigException("spec.match", e.Message);
            }
        }

        var actions = new List<CompiledAction>();
        for (var a = 0; a < rule.Actions.Count; a++)
        {
            var action = rule.Actions[a];
            var handler = Resolve(handlers, action.Handler, r.Namespace)
                ?? throw new MixerConfigException($"spec.actions[{a}].handler", $"handler \"{action.Handler}\" not found in namespace {r.Namespace}");
            var list = new List<CompiledInstance>();
            for (var i = 0; i < action.Instances.Count; i++)
            {
                var instance = Resolve(instances, action.Instances[i], r.Namespace)
                    ?? throw new MixerConfigException($"spec.actions[{a}].instances[{i}]", $"instance \"{action.Instances[i]}\" not found in namespace {r.Namespace}");
                if (!Supports(handler, instance.Template.Variety))
                {
                    throw new MixerConfigException($"spec.actions[{a}].instances[{i}]", $"handler {handler.Name} does not accept {instance.Template.Name} instances");
                }

                list.Add(instance);
            }

            actions.Add(new CompiledAction(handler, list));
        }

        return new CompiledRule(r.Namespace, r.Name, match, actions);
    }

    private static bool Supports(IAdapter handler, TemplateVariety variety) => variety switch
    {
        TemplateVariety.Check => handler is ICheckAdapter,
        TemplateVariety.Quota => handler is IQuotaAdapter,
        _ => handler is IReportAdapter,
    };

    /// <summary>Istio's references: <c>name</c>, <c>name.kind</c> (the rule's namespace) or <c>name.kind.namespace</c>.</summary>
    private static T? Resolve<T>(Dictionary<(string, string), T> table, string reference, string ns)
        where T : class
    {
        var parts = reference.Split('.');
        var name = parts[0];
        var where = parts.Length >= 3 ? string.Join('.', parts[2..]) : ns;
        return table.GetValueOrDefault((where, name));
    }

    private static void Guard(ConfigResource r, List<ConfigDiagnostic> diagnostics, Action compile)
    {
        try
        {
            compile();
        }
        catch (MixerConfigException e)
        {
            var line = e.Line ?? r.Lines.LineOf(e.Path);
            diagnostics.Add(new ConfigDiagnostic(Severity.Error, r.Source.File, line, e.Message) { Resource = r.ToString(), Path = e.Path });
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or OverflowException)
        {
            // An adapter's backend refused its params (a Prometheus series re-declared with other labels, a bad number).
            diagnostics.Add(new ConfigDiagnostic(Severity.Error, r.Source.File, r.Source.Line, e.Message) { Resource = r.ToString(), Path = "spec" });
        }
    }
}
