using Grpc.Core;
using Istio.Mixer.V1;
using Meshwork.Mixer.Adapters;
using Meshwork.Mixer.Attributes;
using Meshwork.Mixer.Runtime;
using GrpcStatus = Google.Rpc.Status;
using ProtoDuration = Google.Protobuf.WellKnownTypes.Duration;

namespace Meshwork.Mixer.Service;

/// <summary>
/// istio.mixer.v1.Mixer over gRPC: decodes compressed attributes, runs them through the runtime and answers with the
/// status, how long and how often the answer may be reused, and the attributes it depended on (the proxy's cache key).
/// </summary>
public sealed class MixerGrpcService(MixerRuntime runtime) : Istio.Mixer.V1.Mixer.MixerBase
{
    public override Task<CheckResponse> Check(CheckRequest request, ServerCallContext context)
    {
        var snapshot = runtime.Snapshot;
        var bag = Decode(() => CompressedAttributesCodec.Decode(request.Attributes ?? new CompressedAttributes(), [], snapshot.Manifest));
        var quotas = request.Quotas.ToDictionary(q => q.Key, q => new QuotaRequest(q.Value.Amount, q.Value.BestEffort, request.DeduplicationId), StringComparer.Ordinal);
        var outcome = runtime.Check(bag, quotas);
        var referenced = Referenced(outcome.References);
        var response = new CheckResponse
        {
            Precondition = new CheckResponse.Types.PreconditionResult
            {
                Status = new GrpcStatus { Code = outcome.Precondition.Code, Message = outcome.Precondition.Message },
                ValidDuration = ProtoDuration.FromTimeSpan(outcome.Precondition.ValidDuration),
                ValidUseCount = outcome.Precondition.ValidUseCount,
                ReferencedAttributes = referenced,
            },
        };
        foreach (var (name, result) in outcome.Quotas)
        {
            response.Quotas[name] = new CheckResponse.Types.QuotaResult
            {
                GrantedAmount = result.GrantedAmount,
                ValidDuration = ProtoDuration.FromTimeSpan(result.ValidDuration),
                ReferencedAttributes = referenced,
            };
        }

        return Task.FromResult(response);
    }

    public override Task<ReportResponse> Report(ReportRequest request, ServerCallContext context)
    {
        var manifest = runtime.Snapshot.Manifest;
        var records = new List<IAttributeBag>(request.Attributes.Count);
        Dictionary<string, object>? previous = null;
        foreach (var compressed in request.Attributes)
        {
            var bag = Decode(() => CompressedAttributesCodec.Decode(compressed, request.DefaultWords, manifest));
            if (request.RepeatedAttributesSemantics == ReportRequest.Types.RepeatedAttributesSemantics.DeltaEncoding)
            {
                // Each record changes the one before it: start from the previous values and overlay this record's.
                var merged = previous == null ? new Dictionary<string, object>(StringComparer.Ordinal) : new Dictionary<string, object>(previous, StringComparer.Ordinal);
                foreach (var name in bag.Names)
                {
                    bag.TryGet(name, out var value);
                    merged[name] = value!;
                }

                previous = merged;
                records.Add(new AttributeBag(merged));
            }
            else
            {
                records.Add(bag);
            }
        }

        runtime.Report(records);
        return Task.FromResult(new ReportResponse());
    }

    private static AttributeBag Decode(Func<AttributeBag> decode)
    {
        try
        {
            return decode();
        }
        catch (FormatException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
    }

    /// <summary>Encodes what the evaluation read: EXACT for a value it saw, ABSENCE for one it found missing.</summary>
    public static ReferencedAttributes Referenced(IEnumerable<AttributeReference> references)
    {
        var result = new ReferencedAttributes();
        var words = new MessageWords();
        int Index(string word) => words.Index(word);

        foreach (var r in references.OrderBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.MapKey, StringComparer.Ordinal))
        {
            var match = new ReferencedAttributes.Types.AttributeMatch
            {
                Name = Index(r.Name),
                Condition = r.Present ? ReferencedAttributes.Types.Condition.Exact : ReferencedAttributes.Types.Condition.Absence,
            };
            if (r.MapKey != null)
            {
                match.MapKey = Index(r.MapKey);
            }

            result.AttributeMatches.Add(match);
        }

        result.Words.AddRange(words.Words);
        return result;
    }
}
