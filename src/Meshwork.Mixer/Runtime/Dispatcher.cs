using Meshwork.Mixer.Adapters;
using Meshwork.Mixer.Attributes;

namespace Meshwork.Mixer.Runtime;

/// <summary>The answer to a Check: the combined precondition, one result per requested quota, and every attribute read.</summary>
public sealed record CheckOutcome(CheckResult Precondition, IReadOnlyDictionary<string, QuotaResult> Quotas, IReadOnlySet<AttributeReference> References);

/// <summary>
/// Runs requests through the current snapshot as Mixer's dispatcher does: a rule applies when it is in the default
/// config namespace or in the request's destination namespace, and its match holds; each of its actions hands the
/// action's instances, evaluated against the request, to the handler.
/// </summary>
public sealed class Dispatcher(string configNamespace = Dispatcher.DefaultConfigNamespace)
{
    public const string DefaultConfigNamespace = "istio-system";

    /// <summary>What a Check with nothing to say answers: Istio's defaults, valid for a minute or 10000 uses.</summary>
    public static readonly CheckResult Allow = new(StatusCodes.Ok, string.Empty, TimeSpan.FromMinutes(1), 10000);

    private static readonly TimeSpan UngovernedQuotaDuration = TimeSpan.FromMinutes(1);

    public CheckOutcome Check(MixerSnapshot snapshot, IAttributeBag bag, IReadOnlyDictionary<string, QuotaRequest> quotas)
    {
        var references = new HashSet<AttributeReference>();
        var reader = new AttributeReader(bag, references);
        CheckResult? result = null;
        var granted = new Dictionary<string, QuotaResult>(StringComparer.Ordinal);
        foreach (var rule in Applicable(snapshot, reader))
        {
            foreach (var action in rule.Actions)
            {
                foreach (var instance in action.Instances)
                {
                    switch (instance.Template.Variety)
                    {
                        case TemplateVariety.Check when action.Handler is ICheckAdapter checker:
                            var answer = checker.Check(instance.Evaluate(reader));
                            result = result == null ? answer : Combine(result, answer);
                            break;
                        case TemplateVariety.Quota when action.Handler is IQuotaAdapter quota && Requested(quotas, instance) is { } name:
                            var outcome = quota.Allocate(instance.Evaluate(reader), quotas[name]);
                            granted[name] = granted.TryGetValue(name, out var earlier) && earlier.GrantedAmount < outcome.GrantedAmount ? earlier : outcome;
                            break;
                    }
                }
            }
        }

        // A quota no rule governs is granted in full, as Mixer does.
        foreach (var (name, request) in quotas)
        {
            granted.TryAdd(name, new QuotaResult(request.Amount, UngovernedQuotaDuration));
        }

        return new CheckOutcome(result ?? Allow, granted, references);
    }

    public void Report(MixerSnapshot snapshot, IEnumerable<IAttributeBag> records)
    {
        var batches = new Dictionary<IReportAdapter, List<InstanceValue>>();
        foreach (var bag in records)
        {
            var reader = new AttributeReader(bag);
            foreach (var rule in Applicable(snapshot, reader))
            {
                foreach (var action in rule.Actions)
                {
                    if (action.Handler is not IReportAdapter reporter)
                    {
                        continue;
                    }

                    foreach (var instance in action.Instances.Where(i => i.Template.Variety == TemplateVariety.Report))
                    {
                        if (!batches.TryGetValue(reporter, out var batch))
                        {
                            batches[reporter] = batch = [];
                        }

                        batch.Add(instance.Evaluate(reader));
                    }
                }
            }
        }

        foreach (var (reporter, batch) in batches)
        {
            reporter.Report(batch);
        }
    }

    private IEnumerable<CompiledRule> Applicable(MixerSnapshot snapshot, AttributeReader reader)
    {
        string? destinationNamespace = null;
        var namespaceRead = false;
        foreach (var rule in snapshot.Rules)
        {
            if (rule.Namespace != configNamespace)
            {
                if (!namespaceRead)
                {
                    destinationNamespace = reader.Get("destination.namespace") as string;
                    namespaceRead = true;
                }

                if (rule.Namespace != destinationNamespace)
                {
                    continue;
                }
            }

            if (rule.Match == null || rule.Match.Matches(reader))
            {
                yield return rule;
            }
        }
    }

    private static string? Requested(IReadOnlyDictionary<string, QuotaRequest> quotas, CompiledInstance instance) =>
        quotas.ContainsKey(instance.Name) ? instance.Name : quotas.ContainsKey(instance.FullName) ? instance.FullName : null;

    /// <summary>The first failure wins; the answer is reusable only as long and as often as every part of it.</summary>
    private static CheckResult Combine(CheckResult current, CheckResult next)
    {
        var code = current.IsOk ? next.Code : current.Code;
        var message = current.IsOk ? next.Message : current.Message;
        return new CheckResult(code, message, current.ValidDuration < next.ValidDuration ? current.ValidDuration : next.ValidDuration, Math.Min(current.ValidUseCount, next.ValidUseCount));
    }
}
