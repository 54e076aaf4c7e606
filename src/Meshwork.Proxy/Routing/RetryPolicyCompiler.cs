using System.Collections.Frozen;
using Envoy.Extensions.Retry.Priority.PreviousPriorities.V3;
using EnvoyRetryPolicy = Envoy.Config.Route.V3.RetryPolicy;

namespace Meshwork.Proxy.Routing;

/// <summary>Envoy's RetryPolicy proto → <see cref="RetryPolicy"/>, with Envoy's defaults and its validation (RetryPolicyImpl).</summary>
internal static class RetryPolicyCompiler
{
    public static RetryPolicy Compile(EnvoyRetryPolicy policy, string where)
    {
        var baseInterval = RetryPolicy.DefaultBaseInterval;
        TimeSpan? maxInterval = null;
        if (policy.RetryBackOff is { } backOff)
        {
            if (backOff.BaseInterval == null || backOff.BaseInterval.ToTimeSpan() <= TimeSpan.Zero)
            {
                throw new ProxyConfigException($"{where}: retry_back_off base_interval must be set and above 0");
            }

            baseInterval = backOff.BaseInterval.ToTimeSpan();
            if (backOff.MaxInterval != null)
            {
                maxInterval = backOff.MaxInterval.ToTimeSpan();
                if (maxInterval < baseInterval)
                {
                    throw new ProxyConfigException($"{where}: retry_back_off max_interval must be greater than or equal to the base_interval");
                }
            }
        }

        var avoidPreviousHosts = false;
        foreach (var predicate in policy.RetryHostPredicate)
        {
            avoidPreviousHosts |= predicate.Name == RetryPolicy.PreviousHostsPredicate
                ? true
                : throw new ProxyConfigException($"{where}: retry_host_predicate \"{predicate.Name}\" is not supported (only {RetryPolicy.PreviousHostsPredicate})");
        }

        int? previousPriorities = null;
        if (policy.RetryPriority is { } priority)
        {
            if (priority.Name != RetryPolicy.PreviousPrioritiesName)
            {
                throw new ProxyConfigException($"{where}: retry_priority \"{priority.Name}\" is not supported (only {RetryPolicy.PreviousPrioritiesName})");
            }

            var config = priority.TypedConfig?.Is(PreviousPrioritiesConfig.Descriptor) == true ? priority.TypedConfig.Unpack<PreviousPrioritiesConfig>() : null;
            if (config == null || config.UpdateFrequency <= 0)
            {
                throw new ProxyConfigException($"{where}: retry_priority {priority.Name} needs a PreviousPrioritiesConfig with update_frequency above 0");
            }

            previousPriorities = config.UpdateFrequency;
        }

        return new RetryPolicy
        {
            RetryOn = RetryPolicy.ParseRetryOn(policy.RetryOn, where),
            NumRetries = (int)(policy.NumRetries ?? 1),
            PerTryTimeout = Positive(policy.PerTryTimeout),
            PerTryIdleTimeout = Positive(policy.PerTryIdleTimeout),
            RetriableStatusCodes = policy.RetriableStatusCodes.Select(c => (int)c).ToFrozenSet(),
            BackoffBase = baseInterval,
            BackoffMax = maxInterval ?? baseInterval * 10,
            HostSelectionMaxAttempts = policy.HostSelectionRetryMaxAttempts > 0 ? policy.HostSelectionRetryMaxAttempts : 1,
            AvoidPreviousHosts = avoidPreviousHosts,
            PreviousPrioritiesUpdateFrequency = previousPriorities,
            RetriableHeaders = policy.RetriableHeaders.Select(h => HeaderMatch.Compile(h, $"{where}: retriable_headers")).ToArray(),
            RetriableRequestHeaders = policy.RetriableRequestHeaders.Select(h => HeaderMatch.Compile(h, $"{where}: retriable_request_headers")).ToArray(),
        };
    }

    /// <summary>Envoy reads a zero per-try timeout as "none".</summary>
    private static TimeSpan? Positive(Google.Protobuf.WellKnownTypes.Duration? duration) =>
        duration?.ToTimeSpan() is { } value && value > TimeSpan.Zero ? value : null;
}
