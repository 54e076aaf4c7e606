using System.Globalization;
using System.Text;

namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// A Prometheus histogram with Envoy's default buckets, which Istio's request duration and size
/// metrics use (0.5 ms or bytes up to 3,600,000). Lock-free: a recording is two interlocked adds.
/// </summary>
internal sealed class Histogram
{
    public static readonly double[] Bounds = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

    private static readonly string[] BoundText = Bounds.Select(b => b.ToString(CultureInfo.InvariantCulture)).ToArray();

    private readonly long[] _counts = new long[Bounds.Length + 1];
    private long _sumMicro;

    public void Record(double value)
    {
        var bucket = Array.BinarySearch(Bounds, value);
        if (bucket < 0)
        {
            bucket = ~bucket;
        }

        Interlocked.Increment(ref _counts[bucket]);
        Interlocked.Add(ref _sumMicro, (long)(value * 1000));
    }

    public long Count
    {
        get
        {
            long total = 0;
            foreach (ref readonly var count in _counts.AsSpan())
            {
                total += Volatile.Read(in count);
            }

            return total;
        }
    }

    /// <summary>NAME_bucket{labels,le=...} cumulative, +Inf, NAME_sum and NAME_count.</summary>
    public void WriteTo(StringBuilder text, string name, MetricLabels labels)
    {
        long cumulative = 0;
        for (var i = 0; i <= Bounds.Length; i++)
        {
            cumulative += Volatile.Read(ref _counts[i]);
            text.Append(name).Append("_bucket{");
            labels.WriteTo(text);
            text.Append(",le=\"").Append(i < Bounds.Length ? BoundText[i] : "+Inf").Append("\"} ").Append(cumulative).Append('\n');
        }

        text.Append(name).Append("_sum{");
        labels.WriteTo(text);
        text.Append("} ").Append((Volatile.Read(ref _sumMicro) / 1000.0).ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append(name).Append("_count{");
        labels.WriteTo(text);
        text.Append("} ").Append(cumulative).Append('\n');
    }
}
