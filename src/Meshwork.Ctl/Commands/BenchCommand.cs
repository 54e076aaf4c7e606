using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using HdrHistogram;
using Meshwork.Ctl.Bench;

namespace Meshwork.Ctl.Commands;

/// <summary>
/// <c>meshctl bench URL [--qps N] [--connections C] [--duration D] [--warmup D] [--timeout D] [--proxy URL] [--json]</c>:
/// an open-loop HTTP/1.1 load generator like Istio's fortio (see <see cref="LoadGenerator"/>), with a
/// summary like fortio's or one JSON object. Exit 0 when it ran (even if the server answered errors),
/// 1 when no request succeeded, 2 for bad usage.
/// </summary>
internal static class BenchCommand
{
    private const string JsonHelp = """
        --json prints one object with these fields (stable names; times in ms, null when nothing was answered):
          url, proxy (null when direct), mode ("open" or "closed"), qps_target (0 = closed loop),
          qps_achieved (requests / elapsed_s), connections, duration_s, warmup_s, elapsed_s (window start to
          the last measured request's end), requests (scheduled in the window: answered + socket errors),
          ok (2xx), errors (requests - ok), throughput_rps (ok / elapsed_s), bytes_received,
          latency_ms {min, mean, p50, p75, p90, p99, p99_9, max} (every answered request, any status, from
          its intended send time), status_codes {"200": n, ...}, socket_errors {connect, reset, closed,
          timeout, tls, protocol, other: n, only kinds seen}, socket_errors_total, send_delay_ms {p50, p99, max}
          (open loop: how late the generator itself sent; null in closed loop), precise_timer (bool).
        """;

    /// <summary>
    /// Before anything opens a socket in a <c>meshctl bench</c> process: run socket continuations on
    /// .NET's epoll threads instead of handing each one to the thread pool
    /// (<c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS</c>, read once when the first socket is made;
    /// a value the user set wins). Measured at 5000 rps over 16 connections on this 2-core machine:
    /// about half the CPU and a fifth of the context switches, so the generator takes less from the
    /// server it measures. The continuations are short (record, start the next queued request).
    /// </summary>
    public static void PrepareProcess(string[] args)
    {
        const string inline = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
        if (args.Length > 0 && args[0] == "bench" && Environment.GetEnvironmentVariable(inline) is null)
        {
            Environment.SetEnvironmentVariable(inline, "1");
        }
    }

    private static readonly TimeSpan DefaultDuration = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DefaultWarmup = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var url = new Argument<Uri>("URL")
        {
            Description = "The http:// (or https://) URL to GET.",
            CustomParser = ParseUrl,
        };
        var qps = new Option<double>("--qps", "-q")
        {
            Description = "Requests per second in total, spread over the connections; 0 = closed loop at maximum speed.",
            DefaultValueFactory = _ => 1000,
            CustomParser = r => ParseNumber(r, "--qps", double.PositiveInfinity, "0 (closed loop) or a positive rate"),
        };
        var connections = new Option<int>("--connections", "-c")
        {
            Description = "HTTP/1.1 keep-alive connections, each with its own schedule (qps / C each).",
            DefaultValueFactory = _ => 16,
            CustomParser = r => (int)ParseNumber(r, "--connections", 10_000, "a whole number from 1 to 10000", whole: true),
        };
        var duration = DurationOption("--duration", "-t", "How long to measure (Go duration: 10s, 500ms, 1m).", DefaultDuration, allowZero: false);
        var warmup = DurationOption("--warmup", null, "Load before measuring, not counted (Go duration).", DefaultWarmup, allowZero: true);
        var timeout = DurationOption("--timeout", null, "Per-request timeout, counted as a 'timeout' socket error; also how long the run waits after the window for answers still owed (Go duration).", DefaultTimeout, allowZero: false);
        var proxy = new Option<Uri?>("--proxy", "-x")
        {
            Description = "Send through this HTTP proxy in absolute-form, as an app with HTTP_PROXY does (e.g. a Meshwork sidecar's outbound port).",
            CustomParser = r => ParseUrl(r, proxy: true),
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (fields listed above) instead of the summary." };

        var command = new Command("bench", "Load-test an HTTP endpoint at a fixed rate (open loop, like fortio); latency from each request's intended send time, HDR histogram.\n\n" + JsonHelp)
        {
            url, qps, connections, duration, warmup, timeout, proxy, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            // Durations have no DefaultValueFactory so help shows "Default 10s", not "00:00:10".
            TimeSpan Or(Option<TimeSpan> option, TimeSpan fallback) => parse.GetResult(option) is null ? fallback : parse.GetValue(option);
            var settings = new BenchSettings(parse.GetValue(url)!, parse.GetValue(qps), parse.GetValue(connections), Or(duration, DefaultDuration), Or(warmup, DefaultWarmup), parse.GetValue(proxy), Or(timeout, DefaultTimeout));
            return await RunAsync(settings, parse.GetValue(json), stdout, stderr, cancellationToken);
        });
        return command;
    }

    internal static async Task<int> RunAsync(BenchSettings settings, bool json, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (!json)
        {
            var how = settings.Qps > 0 ? $"{Number(settings.Qps)} qps" : "max qps (closed loop)";
            await stdout.WriteLineAsync($"meshctl bench: {how} over {settings.Connections} connections for {GoDuration.Format(settings.Duration)} (warm-up {GoDuration.Format(settings.Warmup)}, not counted): {settings.Target}{(settings.Proxy is null ? string.Empty : $" via proxy {settings.Proxy}")}");
        }

        var result = await LoadGenerator.RunAsync(settings, cancellationToken);
        if (json)
        {
            await stdout.WriteLineAsync(ToJson(result));
        }
        else
        {
            await WriteSummaryAsync(result, stdout);
        }

        if (result.Ok == 0)
        {
            await stderr.WriteLineAsync(result.Requests == 0
                ? "meshctl: bench: no request completed in the measured window"
                : $"meshctl: bench: none of {result.Requests} requests succeeded ({Describe(result)})");
            return CommandLine.Invalid;
        }

        return CommandLine.Ok;
    }

    private static Option<TimeSpan> DurationOption(string name, string? alias, string description, TimeSpan fallback, bool allowZero)
    {
        var option = alias is null ? new Option<TimeSpan>(name) : new Option<TimeSpan>(name, alias);
        option.Description = description + $" Default {GoDuration.Format(fallback)}.";
        option.CustomParser = r =>
        {
            var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : string.Empty;
            if (!GoDuration.TryParse(text, out var value))
            {
                r.AddError($"{name}: '{text}' is not a duration (use Go's form: 10s, 500ms, 1m)");
                return fallback;
            }

            if (!allowZero && value <= TimeSpan.Zero)
            {
                r.AddError($"{name} must be more than 0, got '{text}'");
            }

            return value;
        };
        return option;
    }

    private static double ParseNumber(ArgumentResult r, string name, double max, string expected, bool whole = false)
    {
        var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : string.Empty;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value)
            || value < (whole ? 1 : 0) || value > max || (whole && value != Math.Floor(value)))
        {
            r.AddError($"{name} must be {expected}, got '{text}'");
            return whole ? 1 : 0;
        }

        return value;
    }

    private static Uri? ParseUrl(ArgumentResult r) => ParseUrl(r, proxy: false);

    private static Uri? ParseUrl(ArgumentResult r, bool proxy)
    {
        var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : string.Empty;
        var what = proxy ? "--proxy" : "URL";
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            r.AddError($"{what} '{text}' is not an absolute URL (e.g. http://127.0.0.1:8080/)");
            return null;
        }

        if (uri.Scheme != Uri.UriSchemeHttp && (proxy || uri.Scheme != Uri.UriSchemeHttps))
        {
            r.AddError($"{what} '{text}' must be {(proxy ? "http://" : "http:// or https://")}");
            return null;
        }

        return uri;
    }

    private static double Ms(long micros) => micros / 1000.0;

    private static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Describe(BenchResult r) => string.Join(", ",
        r.StatusCodes.Select(kv => $"{kv.Value} × {kv.Key}").Concat(r.SocketErrors.Select(kv => $"{kv.Value} × {kv.Key} error")));

    private static readonly (string Name, double Percentile)[] Percentiles = [("p50", 50), ("p75", 75), ("p90", 90), ("p99", 99), ("p99_9", 99.9)];

    private static async Task WriteSummaryAsync(BenchResult r, TextWriter stdout)
    {
        var seconds = r.Elapsed.TotalSeconds;
        var inv = CultureInfo.InvariantCulture;
        await stdout.WriteLineAsync(string.Create(inv, $"Ended after {seconds:0.000}s: {r.Requests} requests, qps {(r.Settings.Qps > 0 ? Number(r.Settings.Qps) : "max")} asked, {Rate(r.Requests, seconds):0.0} achieved, {r.Settings.Connections} connections"));
        await stdout.WriteLineAsync(string.Create(inv, $"Throughput: {Rate(r.Ok, seconds):0.0} ok/s, {Rate(r.BytesReceived, seconds) / 1024:0.0} KiB/s received ({r.BytesReceived} bytes)"));
        if (r.Latency.TotalCount > 0)
        {
            var h = r.Latency;
            await stdout.WriteLineAsync(string.Create(inv, $"Latency (ms, from the intended send time; {h.TotalCount} answers): min {Ms(Min(h)):0.###}  mean {h.GetMean() / 1000:0.###}"));
            await stdout.WriteLineAsync("  " + string.Join("  ", Percentiles.Select(p => string.Create(inv, $"{p.Name.Replace('_', '.')} {Ms(h.GetValueAtPercentile(p.Percentile)):0.###}")))
                + string.Create(inv, $"  max {Ms(h.GetMaxValue()):0.###}"));
        }
        else
        {
            await stdout.WriteLineAsync("Latency: no answers");
        }

        foreach (var (code, n) in r.StatusCodes)
        {
            await stdout.WriteLineAsync(string.Create(inv, $"Code {code} : {n} ({100.0 * n / r.Requests:0.0} %)"));
        }

        await stdout.WriteLineAsync(r.SocketErrors.Count == 0
            ? "Socket errors: 0"
            : $"Socket errors: {r.SocketErrorCount} ({string.Join(", ", r.SocketErrors.Select(kv => $"{kv.Key} {kv.Value}"))})");
        if (r.Settings.Qps > 0 && r.SendDelay.TotalCount > 0)
        {
            await stdout.WriteLineAsync(string.Create(inv, $"Generator send delay (ms, its own lateness; {(PreciseClock.IsNative ? "clock_nanosleep" : "sleep+spin")}): p50 {Ms(r.SendDelay.GetValueAtPercentile(50)):0.###}  p99 {Ms(r.SendDelay.GetValueAtPercentile(99)):0.###}  max {Ms(r.SendDelay.GetMaxValue()):0.###}"));
        }
    }

    private static double Rate(long count, double seconds) => seconds > 0 ? count / seconds : 0;

    private static long Min(HistogramBase h) => h.RecordedValues().Select(v => v.ValueIteratedTo).FirstOrDefault();

    internal static string ToJson(BenchResult r)
    {
        var seconds = r.Elapsed.TotalSeconds;
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("url", r.Settings.Target.ToString());
            if (r.Settings.Proxy is null)
            {
                w.WriteNull("proxy");
            }
            else
            {
                w.WriteString("proxy", r.Settings.Proxy.ToString());
            }

            w.WriteString("mode", r.Settings.Qps > 0 ? "open" : "closed");
            w.WriteNumber("qps_target", r.Settings.Qps);
            w.WriteNumber("qps_achieved", Round(Rate(r.Requests, seconds)));
            w.WriteNumber("connections", r.Settings.Connections);
            w.WriteNumber("duration_s", r.Settings.Duration.TotalSeconds);
            w.WriteNumber("warmup_s", r.Settings.Warmup.TotalSeconds);
            w.WriteNumber("elapsed_s", Round(seconds));
            w.WriteNumber("requests", r.Requests);
            w.WriteNumber("ok", r.Ok);
            w.WriteNumber("errors", r.Errors);
            w.WriteNumber("throughput_rps", Round(Rate(r.Ok, seconds)));
            w.WriteNumber("bytes_received", r.BytesReceived);
            w.WriteStartObject("latency_ms");
            var h = r.Latency;
            WriteMs(w, "min", h.TotalCount > 0 ? Min(h) : null);
            if (h.TotalCount > 0)
            {
                w.WriteNumber("mean", Round(h.GetMean() / 1000));
            }
            else
            {
                w.WriteNull("mean");
            }

            foreach (var (name, percentile) in Percentiles)
            {
                WriteMs(w, name, h.TotalCount > 0 ? h.GetValueAtPercentile(percentile) : null);
            }

            WriteMs(w, "max", h.TotalCount > 0 ? h.GetMaxValue() : null);
            w.WriteEndObject();
            w.WriteStartObject("status_codes");
            foreach (var (code, n) in r.StatusCodes)
            {
                w.WriteNumber(code.ToString(CultureInfo.InvariantCulture), n);
            }

            w.WriteEndObject();
            w.WriteStartObject("socket_errors");
            foreach (var (kind, n) in r.SocketErrors)
            {
                w.WriteNumber(kind, n);
            }

            w.WriteEndObject();
            w.WriteNumber("socket_errors_total", r.SocketErrorCount);
            if (r.Settings.Qps > 0 && r.SendDelay.TotalCount > 0)
            {
                w.WriteStartObject("send_delay_ms");
                WriteMs(w, "p50", r.SendDelay.GetValueAtPercentile(50));
                WriteMs(w, "p99", r.SendDelay.GetValueAtPercentile(99));
                WriteMs(w, "max", r.SendDelay.GetMaxValue());
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("send_delay_ms");
            }

            w.WriteBoolean("precise_timer", PreciseClock.IsNative);
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static double Round(double value) => Math.Round(value, 3);

    private static void WriteMs(Utf8JsonWriter w, string name, long? micros)
    {
        if (micros is { } m)
        {
            w.WriteNumber(name, Ms(m));
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
