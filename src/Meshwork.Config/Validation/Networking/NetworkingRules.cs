namespace Meshwork.Config.Validation.Networking;

/// <summary>The validation rules for Networking resources, in the order they run.</summary>
public static class NetworkingRules
{
    public static IReadOnlyList<IValidationRule> All { get; } =
    [
    ];
}
