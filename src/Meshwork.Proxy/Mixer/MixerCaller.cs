using Google.Protobuf;
using Istio.Mixer.V1;
using Meshwork.Proxy.Http;
using Meshwork.Proxy.Listeners;
using Meshwork.Proxy.Runtime;
using Meshwork.Proxy.Upstream;

namespace Meshwork.Proxy.Mixer;

/// <summary>One request's dealings with Mixer: its attributes (reported after the response) and what the check found.</summary>
internal sealed class MixerRequest(MixerFilterPlan plan, MixerServicePlan service, Dictionary<string, object> attributes)
{
    public MixerFilterPlan Plan { get; } = plan;

    public MixerServicePlan Service { get; } = service;

    public Dictionary<string, object> Attributes { get; } = attributes;

    public bool CheckCacheHit { get; set; }

    public bool QuotaCacheHit { get; set; }

    /// <summary>Why the check did not allow the request (a denial, exhausted quota, or Mixer out of reach), if it did not.</summary>
    public CheckVerdict? Error { get; set; }
}

/// <summary>
/// The Mixer filter at request time (Istio's mixer HTTP filter with its mixerclient): builds the
/// request's attributes, answers from the check cache and the quota cache when they can, else calls
/// Mixer's Check over the proxy's own upstream (the check cluster's HTTP/2 connections) within
/// <see cref="MixerFilterPlan.CallTimeout"/>. A denial answers with the status's HTTP code and body
/// <c>CODE:message</c> (403 <c>PERMISSION_DENIED:...</c>, 429 <c>RESOURCE_EXHAUSTED:...</c>); Mixer
/// out of reach lets the request through under FAIL_OPEN and answers 503 <c>UNAVAILABLE:...</c>
/// under FAIL_CLOSE. After the response the attributes go into the report batch.
/// </summary>
internal sealed class MixerCaller(DataPlane plane, TimeProvider time)
{
    private const string CheckMethod = "/istio.mixer.v1.Mixer/Check";
    private const string ReportMethod = "/istio.mixer.v1.Mixer/Report";

    /// <summary>gRPC status UNAVAILABLE, what Istio's client reports when Mixer cannot be reached.</summary>
    private const int Unavailable = 14;

    private long _checks;

    public async ValueTask<bool> CheckAsync(HttpContext context, HttpConnectionState connection, MixerFilterPlan plan, RequestOutcome outcome)
    {
        var service = plan.Default;
        var now = time.GetUtcNow();
        var attributes = RequestAttributes.ForCheck(context, connection, plan, service, outcome, now);
        var state = new MixerRequest(plan, service, attributes);
        outcome.Mixer = state;
        if (service.DisableCheck)
        {
            return true;
        }

        var stats = plan.Stats;
        stats.CheckCalls.Increment();
        var verdict = plan.Cache?.Lookup(attributes, now);
        if (verdict != null)
        {
            stats.CheckCacheHits.Increment();
            state.CheckCacheHit = true;
            if (!verdict.Allowed)
            {
                stats.CheckCacheHitDenies.Increment();
                return await DenyAsync(context, state, verdict, outcome);
            }

            stats.CheckCacheHitAccepts.Increment();
        }
        else if (plan.Cache != null)
        {
            stats.CheckCacheMisses.Increment();
        }

        // Quota: what the cache holds serves; the rest is asked for (with the check when it missed).
        List<(string Quota, long Charge)>? remote = null;
        foreach (var (quota, charge) in service.QuotasFor(attributes) ?? [])
        {
            stats.QuotaCalls.Increment();
            switch (plan.Quotas?.TryTake(quota, charge, attributes, now) ?? QuotaLookup.Miss)
            {
                case QuotaLookup.Granted:
                    stats.QuotaCacheHits.Increment();
                    continue;
                case QuotaLookup.Exhausted:
                    stats.QuotaCacheHits.Increment();
                    return await DenyAsync(context, state, Exhausted(quota), outcome);
                default:
                    stats.QuotaCacheMisses.Increment();
                    (remote ??= []).Add((quota, charge));
                    continue;
            }
        }

        state.QuotaCacheHit = remote == null;
        if (verdict != null && remote == null)
        {
            return true;
        }

        var request = new CheckRequest
        {
            GlobalWordCount = (uint)GlobalDictionary.Words.Count,
            DeduplicationId = $"{connection.GetHashCode():x}-{Interlocked.Increment(ref _checks)}",
            Attributes = Compress(attributes),
        };
        foreach (var (quota, charge) in remote ?? [])
        {
            request.Quotas[quota] = plan.Quotas != null
                ? new CheckRequest.Types.QuotaParams { Amount = charge * QuotaCache.PrefetchFactor, BestEffort = true }
                : new CheckRequest.Types.QuotaParams { Amount = charge };
            stats.RemoteQuotaCalls.Increment();
        }

        if (verdict == null)
        {
            stats.RemoteCheckCalls.Increment();
        }

        var response = await CallAsync(plan, plan.CheckCluster, CheckMethod, request, CheckResponse.Parser, context.RequestAborted);
        if (response == null)
        {
            var unavailable = new CheckVerdict(Unavailable, "Mixer is unavailable (check cluster " + plan.CheckCluster + ")");
            state.Error = unavailable;
            return service.FailOpen || await DenyAsync(context, state, unavailable, outcome);
        }

        now = time.GetUtcNow();
        if (verdict == null)
        {
            var precondition = response.Precondition;
            verdict = new CheckVerdict(precondition?.Status?.Code ?? 0, precondition?.Status?.Message ?? string.Empty, precondition?.RouteDirective);
            plan.Cache?.Store(precondition?.ReferencedAttributes, attributes, verdict, precondition?.ValidDuration?.ToTimeSpan() ?? TimeSpan.Zero, precondition?.ValidUseCount ?? 0, now);
            if (!verdict.Allowed)
            {
                stats.RemoteCheckDenies.Increment();
                return await DenyAsync(context, state, verdict, outcome);
            }

            stats.RemoteCheckAccepts.Increment();
        }

        foreach (var (quota, charge) in remote ?? [])
        {
            response.Quotas.TryGetValue(quota, out var result);
            var granted = result?.GrantedAmount ?? 0;
            plan.Quotas?.Store(quota, result?.ReferencedAttributes, attributes, granted >= charge ? granted - charge : granted, granted == 0, result?.ValidDuration?.ToTimeSpan() ?? TimeSpan.Zero, now);
            if (granted < charge)
            {
                stats.RemoteQuotaDenies.Increment();
                return await DenyAsync(context, state, Exhausted(quota), outcome);
            }
        }

        return true;
    }

    /// <summary>Adds the finished request to the report batch (unless the service's reports are off).</summary>
    public void Report(HttpContext context, RequestOutcome outcome, int status, TimeSpan elapsed)
    {
        if (outcome.Mixer is { Service.DisableReport: false } state)
        {
            Report(context, state, status, elapsed);
        }
    }

    // Apart from the check above: the lambda's closure is allocated where its scope begins, which would be every request.
    private void Report(HttpContext context, MixerRequest state, int status, TimeSpan elapsed)
    {
        var plan = state.Plan;
        plan.Stats.ReportCalls.Increment();
        RequestAttributes.AddResponse(state.Attributes, context, status, elapsed, time.GetUtcNow(), state);
        plan.Reports.Add(state.Attributes, time, request => SendReportAsync(plan, request));
    }

    private async Task SendReportAsync(MixerFilterPlan plan, ReportRequest request)
    {
        plan.Stats.RemoteReportCalls.Increment();
        var answer = await CallAsync(plan, plan.ReportCluster, ReportMethod, request, ReportResponse.Parser, CancellationToken.None);
        (answer != null ? plan.Stats.RemoteReportSuccesses : plan.Stats.RemoteReportFailures).Increment();
    }

    private static CheckVerdict Exhausted(string quota) => new(8, "Quota is exhausted for: " + quota);

    private static CompressedAttributes Compress(Dictionary<string, object> attributes)
    {
        var message = new CompressedAttributes();
        var words = new MessageWords();
        CompressedAttributesWriter.Write(message, attributes, words);
        message.Words.AddRange(words.Words);
        return message;
    }

    private static async ValueTask<bool> DenyAsync(HttpContext context, MixerRequest state, CheckVerdict verdict, RequestOutcome outcome)
    {
        state.Error = verdict;
        outcome.Flags |= ResponseFlags.UnauthorizedExternalService;
        await LocalReply.WriteAsync(context, GrpcStatusNames.HttpStatus(verdict.Code), GrpcStatusNames.Name(verdict.Code) + ":" + verdict.Message);
        return false;
    }

    /// <summary>One unary call to Mixer on <paramref name="clusterName"/>; null when it could not be made or did not answer OK in time.</summary>
    private async Task<T?> CallAsync<T>(MixerFilterPlan plan, string clusterName, string method, IMessage request, MessageParser<T> parser, CancellationToken aborted)
        where T : class, IMessage<T>
    {
        var (answer, failure) = await ClusterCall.SendAsync(
            plane.Clusters,
            clusterName,
            MixerFilterPlan.CallTimeout,
            time,
            aborted,
            (_, endpoint, invoker, cancel) => GrpcUnary.CallAsync(invoker, endpoint.DestinationPrefix + method, null, request, parser, cancel),
            static answer => answer != null);
        (failure switch
        {
            ClusterCallFailure.None => plan.Stats.RemoteCallSuccesses,
            ClusterCallFailure.Timeout => plan.Stats.RemoteCallTimeouts,
            _ => plan.Stats.RemoteCallSendErrors,
        }).Increment();
        return answer;
    }
}
