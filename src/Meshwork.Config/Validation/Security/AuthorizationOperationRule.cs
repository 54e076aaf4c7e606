using Meshwork.Config.Security;
using Meshwork.Config.Values;

namespace Meshwork.Config.Validation.Security;

/// <summary>
/// <c>rules[].to[].operation</c> (Istio's ValidateAuthorizationPolicy): present and not empty, no
/// empty strings, ports that are numbers up to 65535, and only the path templates Envoy supports.
/// </summary>
public sealed class AuthorizationOperationRule : SpecRule<AuthorizationPolicy>
{
    protected override void Check(AuthorizationPolicy spec, RuleContext context)
    {
        for (var i = 0; i < spec.Rules.Count; i++)
        {
            var rule = spec.Rules[i];
            if (rule.To.IsEmpty && context.IsSet($"spec.rules[{i}].to"))
            {
                context.Error($"spec.rules[{i}].to", "must not be empty");
            }

            for (var j = 0; j < rule.To.Count; j++)
            {
                var path = $"spec.rules[{i}].to[{j}]";
                if (rule.To[j].Operation is { } operation)
                {
                    CheckOperation(operation, $"{path}.operation", context);
                }
                else
                {
                    context.Error(path, "`operation` is required");
                }
            }
        }
    }

    private static void CheckOperation(Operation operation, string path, RuleContext context)
    {
        (string Field, ValueList<string> Values)[] fields =
        [
            ("hosts", operation.Hosts),
            ("notHosts", operation.NotHosts),
            ("ports", operation.Ports),
            ("notPorts", operation.NotPorts),
            ("methods", operation.Methods),
            ("notMethods", operation.NotMethods),
            ("paths", operation.Paths),
            ("notPaths", operation.NotPaths),
        ];
        if (fields.All(f => f.Values.IsEmpty))
        {
            context.Error(path, "must not be empty");
        }

        foreach (var (field, values) in fields)
        {
            AuthorizationValues.CheckNonEmpty(values, $"{path}.{field}", context);
        }

        AuthorizationValues.CheckPorts(operation.Ports, $"{path}.ports", context);
        AuthorizationValues.CheckPorts(operation.NotPorts, $"{path}.notPorts", context);
        CheckPaths(operation.Paths, $"{path}.paths", context);
        CheckPaths(operation.NotPaths, $"{path}.notPaths", context);
    }

    private static void CheckPaths(ValueList<string> paths, string path, RuleContext context)
    {
        for (var k = 0; k < paths.Count; k++)
        {
            if (paths[k].Length > 0 && AuthorizationValues.PathTemplateError(paths[k]) is { } error)
            {
                context.Error($"{path}[{k}]", error);
            }
        }
    }
}
