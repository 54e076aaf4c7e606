using System.Text;
using Meshwork.Proxy.Stats;
using Meshwork.Proxy.Telemetry;

namespace Meshwork.Proxy.Admin;

/// <summary>
/// /stats/prometheus: the proxy's Envoy-style stats followed by Istio's standard metrics. On the
/// status port the app's own metrics are appended when <c>--app-metrics</c> names where they are,
/// as Istio's agent merges the prometheus.io-annotated endpoint; the app is asked with a short
/// timeout, and an app that is down, slow or answering an error only leaves its part out.
/// </summary>
internal sealed partial class MetricsEndpoint(StatsStore stats, MeshTelemetry telemetry, ProxyOptions options, ILogger<MetricsEndpoint> logger)
{
    public const string ContentType = "text/plain; version=0.0.4";

    private static readonly TimeSpan AppTimeout = TimeSpan.FromSeconds(2);

    private readonly HttpClient? _app = options.AppMetrics != null ? new HttpClient { Timeout = AppTimeout } : null;

    /// <summary>The proxy's own metrics (admin port).</summary>
    public string Render()
    {
        var text = new StringBuilder(stats.RenderPrometheus());
        telemetry.Metrics.WritePrometheus(text);
        return text.ToString();
    }

    /// <summary>The proxy's metrics merged with the app's (status port).</summary>
    public async Task<string> RenderMergedAsync(CancellationToken cancellationToken)
    {
        var own = Render();
        if (_app == null || options.AppMetrics == null)
        {
            return own;
        }

        try
        {
            using var response = await _app.GetAsync(options.AppMetrics, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                Log.AppMetricsFailed(logger, options.AppMetrics, $"status {(int)response.StatusCode}");
                return own;
            }

            var app = await response.Content.ReadAsStringAsync(cancellationToken);
            return app.Length == 0 ? own : own + (app.EndsWith('\n') ? app : app + "\n");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            Log.AppMetricsFailed(logger, options.AppMetrics, e.Message);
            return own;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 60, Level = LogLevel.Debug, Message = "app metrics at {Url} not merged: {Reason}")]
        public static partial void AppMetricsFailed(ILogger logger, Uri url, string reason);
    }
}
