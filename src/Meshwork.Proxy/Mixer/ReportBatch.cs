using Istio.Mixer.V1;

namespace Meshwork.Proxy.Mixer;

/// <summary>
/// Istio's report batching: records wait until the batch holds report_batch_max_entries or the first
/// of them is report_batch_max_time old, then go to Mixer in one ReportRequest, delta encoded (each
/// record carries only what differs from the one before it) with the words the global dictionary
/// lacks sent once as default_words. A record that lacks an attribute its predecessor had cannot be
/// written as a delta, so it starts the next request of the flush.
/// </summary>
internal sealed class ReportBatch(int maxEntries, TimeSpan maxTime)
{
    private readonly object _gate = new();
    private List<Dictionary<string, object>> _pending = [];
    private ITimer? _timer;

    public int MaxEntries => maxEntries;

    public TimeSpan MaxTime => maxTime;

    /// <summary>Queues a record; <paramref name="send"/> gets the requests when the batch is due (now, or from a timer on <paramref name="time"/>).</summary>
    public void Add(Dictionary<string, object> record, TimeProvider time, Func<ReportRequest, Task> send)
    {
        List<Dictionary<string, object>>? due = null;
        lock (_gate)
        {
            _pending.Add(record);
            if (_pending.Count >= maxEntries)
            {
                due = Take();
            }
            else if (_timer == null)
            {
                _timer = time.CreateTimer(_ => Flush(send), null, maxTime, Timeout.InfiniteTimeSpan);
            }
        }

        if (due != null)
        {
            Send(due, send);
        }
    }

    /// <summary>Sends whatever is pending now.</summary>
    public void Flush(Func<ReportRequest, Task> send)
    {
        List<Dictionary<string, object>>? due;
        lock (_gate)
        {
            due = _pending.Count > 0 ? Take() : null;
            _timer?.Dispose();
            _timer = null;
        }

        if (due != null)
        {
            Send(due, send);
        }
    }

    private List<Dictionary<string, object>> Take()
    {
        var due = _pending;
        _pending = [];
        _timer?.Dispose();
        _timer = null;
        return due;
    }

    private static void Send(List<Dictionary<string, object>> records, Func<ReportRequest, Task> send)
    {
        foreach (var request in Encode(records))
        {
            _ = send(request);
        }
    }

    /// <summary>The ReportRequests for <paramref name="records"/>: as few as delta encoding allows (exposed for tests).</summary>
    internal static List<ReportRequest> Encode(IReadOnlyList<Dictionary<string, object>> records)
    {
        var requests = new List<ReportRequest>();
        ReportRequest? current = null;
        MessageWords? words = null;
        Dictionary<string, object>? previous = null;
        foreach (var record in records)
        {
            if (current == null || previous == null || previous.Keys.Any(k => !record.ContainsKey(k)))
            {
                Finish(current, words);
                current = new ReportRequest { RepeatedAttributesSemantics = ReportRequest.Types.RepeatedAttributesSemantics.DeltaEncoding };
                words = new MessageWords();
                requests.Add(current);
                previous = null;
            }

            var message = new CompressedAttributes();
            foreach (var (name, value) in record)
            {
                if (previous == null || !previous.TryGetValue(name, out var before) || !Same(before, value))
                {
                    CompressedAttributesWriter.Write(message, name, value, words!);
                }
            }

            current.Attributes.Add(message);
            previous = record;
        }

        Finish(current, words);
        return requests;
    }

    private static void Finish(ReportRequest? request, MessageWords? words)
    {
        if (request != null && words != null)
        {
            request.DefaultWords.AddRange(words.Words);
            request.GlobalWordCount = (uint)GlobalDictionary.Words.Count;
        }
    }

    private static bool Same(object a, object b) => (a, b) switch
    {
        (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
        (IReadOnlyDictionary<string, string> x, IReadOnlyDictionary<string, string> y) => x.Count == y.Count && x.All(e => y.TryGetValue(e.Key, out var v) && v == e.Value),
        _ => a.Equals(b),
    };
}
