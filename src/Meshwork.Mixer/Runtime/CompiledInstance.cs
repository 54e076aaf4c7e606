using Meshwork.Mixer.Attributes;
using Meshwork.Mixer.Lang;

namespace Meshwork.Mixer.Runtime;

/// <summary>An instance with its params compiled into expressions against the manifest; builds an <see cref="InstanceValue"/> per request.</summary>
public sealed class CompiledInstance
{
    private readonly (string Field, CompiledExpression Expression)[] _fields;
    private readonly (string Field, (string Key, CompiledExpression Expression)[] Entries)[] _maps;

    private CompiledInstance(string name, string fullName, TemplateInfo template, (string, CompiledExpression)[] fields, (string, (string, CompiledExpression)[])[] maps)
    {
        Name = name;
        FullName = fullName;
        Template = template;
        _fields = fields;
        _maps = maps;
    }

    /// <summary>The instance's short name, as quota requests and rules name it.</summary>
    public string Name { get; }

    /// <summary>Istio's fully qualified name: <c>name.instance.namespace</c> (or <c>name.kind.namespace</c> for the older kinds).</summary>
    public string FullName { get; }

    public TemplateInfo Template { get; }

    public static CompiledInstance Compile(string name, string fullName, TemplateInfo template, ParamsNode parameters, ExpressionCompiler compiler)
    {
        parameters.AllowOnly([.. template.Fields, .. template.MapFields]);
        var fields = new List<(string, CompiledExpression)>();
        var maps = new List<(string, (string, CompiledExpression)[])>();
        foreach (var field in template.Fields)
        {
            var node = parameters[field];
            if (node.IsSet)
            {
                fields.Add((field, Expression(node, compiler)));
            }
        }

        foreach (var field in template.MapFields)
        {
            var entries = parameters[field].Entries.Select(e => (e.Key, Expression(e.Value, compiler))).ToArray();
            maps.Add((field, entries));
        }

        return new CompiledInstance(name, fullName, template, [.. fields], [.. maps]);
    }

    private static CompiledExpression Expression(ParamsNode node, ExpressionCompiler compiler)
    {
        var text = node.String() ?? throw node.Error("expected an expression");
        try
        {
            return compiler.Compile(text);
        }
        catch (ExpressionException e)
        {
            throw node.Error(e.Message);
        }
    }

    public InstanceValue Evaluate(AttributeReader reader)
    {
        var fields = new Dictionary<string, object>(_fields.Length, StringComparer.Ordinal);
        foreach (var (field, expression) in _fields)
        {
            if (expression.Evaluate(reader) is { } value)
            {
                fields[field] = value;
            }
        }

        var maps = new Dictionary<string, IReadOnlyDictionary<string, object>>(_maps.Length, StringComparer.Ordinal);
        foreach (var (field, entries) in _maps)
        {
            var map = new Dictionary<string, object>(entries.Length, StringComparer.Ordinal);
            foreach (var (key, expression) in entries)
            {
                if (expression.Evaluate(reader) is { } value)
                {
                    map[key] = value;
                }
            }

            maps[field] = map;
        }

        return new InstanceValue(FullName, Template.Name, fields, maps);
    }
}
