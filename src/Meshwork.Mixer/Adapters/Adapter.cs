using Meshwork.Mixer.Runtime;

namespace Meshwork.Mixer.Adapters;

/// <summary>
/// A configured handler: one adapter with its params, built when Mixer compiles a config. An adapter implements the
/// roles it supports: <see cref="ICheckAdapter"/>, <see cref="IQuotaAdapter"/>, <see cref="IReportAdapter"/>.
/// </summary>
public interface IAdapter
{
    string Name { get; }
}

/// <summary>Answers checks (checknothing, listentry instances).</summary>
public interface ICheckAdapter : IAdapter
{
    CheckResult Check(InstanceValue instance);
}

/// <summary>Allocates quota (quota instances).</summary>
public interface IQuotaAdapter : IAdapter
{
    QuotaResult Allocate(InstanceValue instance, QuotaRequest request);
}

/// <summary>Receives telemetry (metric, logentry instances), a batch per Report.</summary>
public interface IReportAdapter : IAdapter
{
    void Report(IReadOnlyList<InstanceValue> instances);
}

/// <summary>An adapter that holds resources (timers, connections) released when its config is replaced.</summary>
public interface IDisposableAdapter : IAdapter, IDisposable
{
}

/// <summary>google.rpc.Code values Mixer answers with.</summary>
public static class StatusCodes
{
    public const int Ok = 0;
    public const int NotFound = 5;
    public const int PermissionDenied = 7;
    public const int ResourceExhausted = 8;
    public const int FailedPrecondition = 9;
    public const int Unavailable = 14;
}

/// <summary>A check's answer and how long and how often the caller may reuse it.</summary>
public sealed record CheckResult(int Code, string Message, TimeSpan ValidDuration, int ValidUseCount)
{
    public bool IsOk => Code == StatusCodes.Ok;
}

/// <summary>What the caller asks of a quota: an amount, whether less is acceptable, and an id that makes retries idempotent.</summary>
public readonly record struct QuotaRequest(long Amount, bool BestEffort, string DeduplicationId);

/// <summary>The amount granted (0 when exhausted and not best effort) and how long the grant is valid.</summary>
public sealed record QuotaResult(long GrantedAmount, TimeSpan ValidDuration);
