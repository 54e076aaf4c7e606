using System.Globalization;

namespace Meshwork.Ctl.Commands;

/// <summary>A workload's golden signals over one interval: rate, errors, latency percentiles (ms; NaN without requests).</summary>
internal sealed record GoldenSignals(string Workload, double Rps, double ErrorRps, double P50, double P90, double P99)
{
    public double ErrorPercent => Rps > 0 ? 100 * ErrorRps / Rps : 0;

    /// <summary>
    /// What istioctl x metrics shows from Prometheus, computed from two scrapes of a proxy's own
    /// /stats/prometheus: the workload's inbound series (reporter destination), request rate and 5xx
    /// rate from istio_requests_total, percentiles from the duration histogram's buckets with
    /// Prometheus' histogram_quantile interpolation.
    /// </summary>
    public static GoldenSignals Between(IReadOnlyList<PrometheusSample> before, IReadOnlyList<PrometheusSample> after, TimeSpan interval, string workload, string? ns)
    {
        bool Mine(PrometheusSample s) =>
            s.Label("reporter") == "destination"
            && s.Label("destination_workload") == workload
            && (ns == null || s.Label("destination_workload_namespace") == ns);

        var seconds = interval.TotalSeconds;
        var total = Delta(before, after, "istio_requests_total", s => Mine(s));
        var errors = Delta(before, after, "istio_requests_total", s => Mine(s) && s.Label("response_code").StartsWith('5'));
        var buckets = after.Where(s => s.Name == "istio_request_duration_milliseconds_bucket" && Mine(s))
            .GroupBy(s => s.Label("le"))
            .Select(g => (Le: ParseLe(g.Key), Count: Delta(before, after, "istio_request_duration_milliseconds_bucket", s => Mine(s) && s.Label("le") == g.Key)))
            .OrderBy(b => b.Le)
            .ToList();
        return new GoldenSignals(workload, total / seconds, errors / seconds, Quantile(0.5, buckets), Quantile(0.9, buckets), Quantile(0.99, buckets));
    }

    /// <summary>Prometheus' histogram_quantile: linear within the bucket holding the rank; the first bucket from 0; +Inf answers the largest finite bound.</summary>
    public static double Quantile(double q, IReadOnlyList<(double Le, double Count)> cumulative)
    {
        if (cumulative.Count == 0 || cumulative[^1].Count <= 0)
        {
            return double.NaN;
        }

        var rank = q * cumulative[^1].Count;
        for (var i = 0; i < cumulative.Count; i++)
        {
            if (cumulative[i].Count >= rank)
            {
                if (double.IsPositiveInfinity(cumulative[i].Le))
                {
                    return i > 0 ? cumulative[i - 1].Le : double.NaN;
                }

                var lowerBound = i > 0 ? cumulative[i - 1].Le : 0;
                var lowerCount = i > 0 ? cumulative[i - 1].Count : 0;
                var inBucket = cumulative[i].Count - lowerCount;
                return inBucket <= 0 ? cumulative[i].Le : lowerBound + ((cumulative[i].Le - lowerBound) * (rank - lowerCount) / inBucket);
            }
        }

        return double.NaN;
    }

    private static double Delta(IReadOnlyList<PrometheusSample> before, IReadOnlyList<PrometheusSample> after, string name, Func<PrometheusSample, bool> select)
    {
        static string Key(PrometheusSample s) => string.Join(',', s.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));
        var earlier = before.Where(s => s.Name == name && select(s)).ToDictionary(Key, s => s.Value);
        return after.Where(s => s.Name == name && select(s)).Sum(s => Math.Max(0, s.Value - earlier.GetValueOrDefault(Key(s))));
    }

    private static double ParseLe(string le) => le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);
}
