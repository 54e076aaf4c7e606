namespace Meshwork.Config.Validation.Security;

/// <summary>The validation rules for Security resources, in the order they run.</summary>
public static class SecurityRules
{
    public static IReadOnlyList<IValidationRule> All { get; } =
    [
    ];
}
