using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Meshwork.Config.Binding;

namespace Meshwork.Ctl.Commands;

/// <summary>
/// <c>meshctl x</c>, as istioctl's experimental group: <c>x metrics WORKLOAD --admin HOST:PORT</c> prints a
/// workload's golden signals (request rate, errors, p50/p90/p99 latency) from two scrapes of its
/// sidecar's Istio metrics, where istioctl asks Prometheus.
/// </summary>
internal static class ExperimentalCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var workload = new Argument<string>("workload") { Description = "The workload (its sidecar's --workload name)." };
        var admin = new Option<string>("--admin") { Description = "The workload's sidecar admin address (HOST:PORT).", DefaultValueFactory = _ => "127.0.0.1:15000" };
        var ns = new Option<string?>("--namespace", "-n") { Description = "The workload's namespace (any when omitted)." };
        var interval = new Option<string>("--interval") { Description = "How long to measure between the two scrapes (e.g. 5s, 500ms).", DefaultValueFactory = _ => "5s" };
        var output = new Option<string>("--output", "-o") { Description = "short (a table) or json.", DefaultValueFactory = _ => "short" };
        output.AcceptOnlyFromAmong(["short", "json"]);
        var metrics = new Command("metrics", "A workload's request rate, error rate and latency percentiles from its sidecar's Istio metrics") { workload, admin, ns, interval, output };
        metrics.SetAction(async (parse, cancellationToken) => await MetricsAsync(parse.GetValue(workload)!, parse.GetValue(admin)!, parse.GetValue(ns), parse.GetValue(interval)!, parse.GetValue(output)!, stdout, stderr, cancellationToken));
        return new Command("x", "Experimental commands") { metrics };
    }

    internal static async Task<int> MetricsAsync(string workload, string admin, string? ns, string intervalText, string output, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (!GoDuration.TryParse(intervalText, out var interval) || interval <= TimeSpan.Zero)
        {
            await stderr.WriteLineAsync($"meshctl: --interval: '{intervalText}' is not a positive duration (e.g. 5s, 500ms)");
            return CommandLine.Usage;
        }

        List<PrometheusSample> before;
        List<PrometheusSample> after;
        TimeSpan measured;
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var uri = new Uri($"http://{admin}/stats/prometheus");
            before = PrometheusText.Parse(await http.GetStringAsync(uri, cancellationToken));
            var started = TimeProvider.System.GetTimestamp();
            await Task.Delay(interval, cancellationToken);
            after = PrometheusText.Parse(await http.GetStringAsync(uri, cancellationToken));
            measured = TimeProvider.System.GetElapsedTime(started);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or UriFormatException)
        {
            await stderr.WriteLineAsync($"meshctl: cannot read the proxy's metrics at {admin}: {e.Message}");
            return CommandLine.Usage;
        }

        var signals = GoldenSignals.Between(before, after, measured, workload, ns);
        if (output == "json")
        {
            await stdout.WriteLineAsync(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["workload"] = signals.Workload,
                ["totalRps"] = signals.Rps,
                ["errorRps"] = signals.ErrorRps,
                ["errorPercent"] = signals.ErrorPercent,
                ["p50Ms"] = Nullable(signals.P50),
                ["p90Ms"] = Nullable(signals.P90),
                ["p99Ms"] = Nullable(signals.P99),
            }));
            return CommandLine.Ok;
        }

        string[][] rows =
        [
            ["WORKLOAD", "TOTAL RPS", "ERROR RPS", "ERROR %", "P50 LATENCY", "P90 LATENCY", "P99 LATENCY"],
            [signals.Workload, Number(signals.Rps), Number(signals.ErrorRps), Number(signals.ErrorPercent), Ms(signals.P50), Ms(signals.P90), Ms(signals.P99)],
        ];
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            await stdout.WriteLineAsync(string.Join("  ", row.Select((cell, c) => cell.PadLeft(widths[c]))).TrimEnd());
        }

        return CommandLine.Ok;
    }

    private static double? Nullable(double value) => double.IsNaN(value) ? null : value;

    private static string Number(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);

    private static string Ms(double value) => double.IsNaN(value) ? "-" : value.ToString("0.##", CultureInfo.InvariantCulture) + "ms";
}
