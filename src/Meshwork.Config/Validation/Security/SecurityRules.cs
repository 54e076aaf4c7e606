using Meshwork.Config.Security;

namespace Meshwork.Config.Validation.Security;

/// <summary>The validation rules for Security resources, in the order they run.</summary>
public static class SecurityRules
{
    public static IReadOnlyList<IValidationRule> All { get; } =
    [
        new DryRunAnnotationRule(),

        // PeerAuthentication
        new PolicyTargetRule<PeerAuthentication>(s => s.Selector),
        new PortLevelMtlsRule(),

        // RequestAuthentication
        new PolicyTargetRule<RequestAuthentication>(s => s.Selector, s => s.TargetRef, s => s.TargetRefs),
        new JwtIssuerRule(),
        new JwksSourceRule(),
        new JwtTokenLocationRule(),
        new JwtClaimOutputRule(),

        // AuthorizationPolicy
        new PolicyTargetRule<AuthorizationPolicy>(s => s.Selector, s => s.TargetRef, s => s.TargetRefs),
        new AuthorizationActionRule(),
        new AuthorizationSourceRule(),
        new AuthorizationOperationRule(),
        new AuthorizationConditionRule(),
        new DenyHttpOnlyRule(),
    ];
}
