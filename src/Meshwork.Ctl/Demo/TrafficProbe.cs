using System.Diagnostics;
using System.Net;

namespace Meshwork.Ctl.Demo;

/// <summary>What one answer of productpage says: the reviews version that served it, or the error it shows.</summary>
internal static class PageView
{
    public const string RbacDenied = "RBAC: access denied";
    public const string ReviewsUnavailable = "reviews unavailable";
    public const string RatingsUnavailable = "ratings unavailable";
    public const string DetailsUnavailable = "details unavailable";
    public const string Refused = "refused";

    /// <summary>
    /// v1 (reviews without stars), v2 (black stars), v3 (red stars), or what the page shows instead:
    /// Istio's error texts for reviews and ratings, RBAC's denial, an overflow. The markers are the
    /// page's elements, not bare class names, which its style sheet also contains.
    /// </summary>
    public static string Classify(int status, string body)
    {
        if (status == 403 && body.Contains(RbacDenied, StringComparison.Ordinal))
        {
            return "denied (RBAC)";
        }

        if (status != 200)
        {
            return body.Contains("overflow", StringComparison.Ordinal) ? "overflow (UO)" : $"HTTP {status}";
        }

        var reviews = body.Contains("Error fetching product reviews!", StringComparison.Ordinal) ? ReviewsUnavailable
            : body.Contains("class=\"stars\" style=\"color: black", StringComparison.Ordinal) ? "v2"
            : body.Contains("class=\"stars\" style=\"color: red", StringComparison.Ordinal) ? "v3"
            : body.Contains("<p class=\"rating-error\">", StringComparison.Ordinal) ? RatingsUnavailable
            : body.Contains("Book Reviews", StringComparison.Ordinal) ? "v1"
            : "no reviews";
        return body.Contains("Error fetching product details!", StringComparison.Ordinal) ? $"{DetailsUnavailable}, {reviews}" : reviews;
    }
}

/// <summary>One batch of requests to send: to the gateway's productpage (as a user or anonymous), or straight to a pod IP.</summary>
internal sealed record Batch(string Name, int Count, int Concurrency, string? User = null, Func<DemoMesh, Uri>? Target = null)
{
    public Uri UrlFor(DemoMesh mesh) => Target?.Invoke(mesh) ?? mesh.ProductPage;
}

/// <summary>What a batch got: how many answers of each kind (<see cref="PageView"/>), status codes, latencies.</summary>
internal sealed class BatchResult(Batch batch)
{
    private readonly Lock _lock = new();
    private readonly List<double> _milliseconds = [];

    public Batch Batch { get; } = batch;

    public SortedDictionary<string, int> Views { get; } = new(StringComparer.Ordinal);

    public SortedDictionary<string, int> Statuses { get; } = new(StringComparer.Ordinal);

    public int Done { get; private set; }

    public int Count(string view) => Views.GetValueOrDefault(view);

    public int Status(string status) => Statuses.GetValueOrDefault(status);

    /// <summary>Answers of <paramref name="view"/> out of all answers, 0-1.</summary>
    public double Share(string view) => Done == 0 ? 0 : (double)Count(view) / Done;

    public void Add(string view, string status, TimeSpan elapsed)
    {
        lock (_lock)
        {
            Views[view] = Views.GetValueOrDefault(view) + 1;
            Statuses[status] = Statuses.GetValueOrDefault(status) + 1;
            _milliseconds.Add(elapsed.TotalMilliseconds);
            Done++;
        }
    }

    public double Percentile(double p)
    {
        lock (_lock)
        {
            if (_milliseconds.Count == 0)
            {
                return 0;
            }

            var sorted = _milliseconds.Order().ToArray();
            return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
        }
    }

    public string ViewsText() => Describe(Views);

    public string StatusText() => Describe(Statuses);

    private string Describe(SortedDictionary<string, int> counts)
    {
        lock (_lock)
        {
            return counts.Count == 0 ? "-" : string.Join(", ", counts.Select(c => $"{c.Key} ×{c.Value}"));
        }
    }
}

/// <summary>Sends a batch with bounded concurrency; every request on its own connection's pool entry, as browsers do.</summary>
internal static class TrafficProbe
{
    /// <summary>Longer than the slowest step (jason's 7 s delay, tried twice by productpage).</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(20);

    public static async Task<BatchResult> RunAsync(DemoMesh mesh, Batch batch, Action<BatchResult> progress, CancellationToken cancellationToken)
    {
        var result = new BatchResult(batch);
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(5) }) { Timeout = RequestTimeout };
        var url = batch.UrlFor(mesh);
        var next = 0;
        async Task Worker()
        {
            while (Interlocked.Increment(ref next) <= batch.Count)
            {
                var (view, status, elapsed) = await OneAsync(http, url, batch.User, cancellationToken);
                result.Add(view, status, elapsed);
                progress(result);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Math.Max(1, batch.Concurrency)).Select(_ => Worker()));
        return result;
    }

    private static async Task<(string View, string Status, TimeSpan Elapsed)> OneAsync(HttpClient http, Uri url, string? user, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (user != null)
        {
            // What /login leaves in the browser: productpage reads the user from this cookie.
            request.Headers.Add("Cookie", $"user={user}");
        }

        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            return (PageView.Classify((int)response.StatusCode, body), ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), clock.Elapsed);
        }
        catch (HttpRequestException e)
        {
            // Refused or reset: what a plaintext client sees at a STRICT mutual-TLS port.
            return (PageView.Refused, e.HttpRequestError == HttpRequestError.ConnectionError ? "connection refused" : "connection reset", clock.Elapsed);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ("timed out", "timeout", clock.Elapsed);
        }
        catch (IOException)
        {
            return (PageView.Refused, "connection reset", clock.Elapsed);
        }
    }

    /// <summary>A plain-HTTP URL on a workload's pod IP and service port: a client outside the mesh.</summary>
    public static Uri Direct(DemoMesh mesh, string workload, string path) =>
        new($"http://{mesh.Workload(workload).Ip}:{mesh.Workload(workload).Spec.Port ?? 9080}{path}");

    public static bool IsOk(string status) => status == ((int)HttpStatusCode.OK).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
