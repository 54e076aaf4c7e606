using Meshwork.Config.Binding;

namespace Meshwork.Config.Validation.Networking;

/// <summary>Istio's ValidateDuration on an optional field, reported with the value that was written.</summary>
internal static class TrafficPolicyDuration
{
    public static void Check(RuleContext context, string path, TimeSpan? value)
    {
        if (value is { } duration && Checks.Duration(duration) is { } error)
        {
            context.Error(path, $"{error}, got {GoDuration.Format(duration)}");
        }
    }
}
