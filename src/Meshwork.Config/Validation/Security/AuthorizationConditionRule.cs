using Meshwork.Config.Security;
using Meshwork.Config.Values;

namespace Meshwork.Config.Validation.Security;

/// <summary>
/// <c>rules[].when[]</c> (Istio's ValidateAttribute, pilot/pkg/security/authz/model): a key Istio
/// supports, at least one of values or notValues, and values of the attribute's form (IPs, ports,
/// service accounts). Istio checks the key once per list; it is reported once here.
/// </summary>
public sealed class AuthorizationConditionRule : SpecRule<AuthorizationPolicy>
{
    protected override void Check(AuthorizationPolicy spec, RuleContext context)
    {
        for (var i = 0; i < spec.Rules.Count; i++)
        {
            var when = spec.Rules[i].When;
            for (var j = 0; j < when.Count; j++)
            {
                CheckCondition(when[j], $"spec.rules[{i}].when[{j}]", context);
            }
        }
    }

    private static void CheckCondition(Condition condition, string path, RuleContext context)
    {
        if (condition.Key.Length == 0)
        {
            context.Error($"{path}.key", "must not be empty");
            return;
        }

        if (condition.Values.IsEmpty && condition.NotValues.IsEmpty)
        {
            context.Error(path, $"at least one of `values` or `notValues` must be set for key {condition.Key}");
            return;
        }

        if (AuthorizationValues.AttributeKeyError(condition.Key) is { } keyError)
        {
            context.Error($"{path}.key", keyError);
        }

        CheckValues(condition.Key, condition.Values, $"{path}.values", context);
        CheckValues(condition.Key, condition.NotValues, $"{path}.notValues", context);
    }

    private static void CheckValues(string key, ValueList<string> values, string path, RuleContext context)
    {
        var check = AuthorizationValues.AttributeValueCheck(key);
        if (key == "source.serviceAccount" && values.Count > AuthorizationValues.MaxServiceAccounts)
        {
            context.Error(path, $"may not have more than {AuthorizationValues.MaxServiceAccounts} values, got {values.Count}");
        }

        for (var k = 0; k < values.Count; k++)
        {
            var error = values[k].Length == 0 ? "empty value not allowed" : check?.Invoke(values[k]);
            if (error != null)
            {
                context.Error($"{path}[{k}]", error);
            }
        }
    }
}
