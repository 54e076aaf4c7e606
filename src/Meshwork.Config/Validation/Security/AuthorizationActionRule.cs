using Meshwork.Config.Binding;
using Meshwork.Config.Security;

namespace Meshwork.Config.Validation.Security;

/// <summary>
/// The action and its provider (Istio's ValidateAuthorizationPolicy): CUSTOM needs rules and a
/// provider and cannot match on identities, only CUSTOM takes a provider, and DENY needs rules.
/// Unset and empty <c>rules</c> are the same here, as protojson reads <c>rules: []</c> as unset.
/// </summary>
public sealed class AuthorizationActionRule : SpecRule<AuthorizationPolicy>
{
    private const string NeverTriggered = "action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request";

    private static readonly (string Field, Func<Source, int> Count)[] IdentityFields =
    [
        ("namespaces", s => s.Namespaces.Count),
        ("notNamespaces", s => s.NotNamespaces.Count),
        ("serviceAccounts", s => s.ServiceAccounts.Count),
        ("notServiceAccounts", s => s.NotServiceAccounts.Count),
        ("principals", s => s.Principals.Count),
        ("notPrincipals", s => s.NotPrincipals.Count),
        ("requestPrincipals", s => s.RequestPrincipals.Count),
        ("notRequestPrincipals", s => s.NotRequestPrincipals.Count),
    ];

    protected override void Check(AuthorizationPolicy spec, RuleContext context)
    {
        var action = WireNames.Of(spec.Action);

        // Unset fields have no line of their own; point at the action that needs them.
        var rulesPath = context.IsSet("spec.rules") ? "spec.rules" : "spec.action";
        if (spec.Action == AuthorizationAction.Custom)
        {
            if (spec.Rules.IsEmpty)
            {
                context.Error(rulesPath, $"CUSTOM {NeverTriggered}");
            }
            else if (spec.Provider == null)
            {
                context.Error("spec.action", "CUSTOM action requires `provider.name`, the extension provider to delegate to");
            }
            else if (spec.Provider.Name.Length == 0)
            {
                context.Error("spec.provider.name", "must not be empty with action CUSTOM");
            }

            CheckCustomMatches(spec, context);
        }

        if (spec.Provider != null && spec.Action != AuthorizationAction.Custom)
        {
            context.Error("spec.provider", $"must only be set with action CUSTOM, found {action}");
        }

        if (spec.Action == AuthorizationAction.Deny && spec.Rules.IsEmpty)
        {
            context.Error(rulesPath, $"DENY {NeverTriggered}");
        }
    }

    private static void CheckCustomMatches(AuthorizationPolicy spec, RuleContext context)
    {
        for (var i = 0; i < spec.Rules.Count; i++)
        {
            var rule = spec.Rules[i];
            for (var j = 0; j < rule.From.Count; j++)
            {
                if (rule.From[j].Source is not { } source)
                {
                    continue;
                }

                foreach (var (field, count) in IdentityFields)
                {
                    if (count(source) > 0)
                    {
                        context.Error($"spec.rules[{i}].from[{j}].source.{field}", "is currently not supported with CUSTOM action");
                    }
                }
            }

            for (var j = 0; j < rule.When.Count; j++)
            {
                var key = rule.When[j].Key;
                if (key is "source.namespace" or "source.serviceAccount" or "source.principal" || key.StartsWith("request.auth.", StringComparison.Ordinal))
                {
                    context.Error($"spec.rules[{i}].when[{j}].key", $"{key} is currently not supported with CUSTOM action");
                }
            }
        }
    }
}
