using System.Text.Json;

namespace Meshwork.Samples.Bookinfo;

/// <summary>
/// Calls another Bookinfo service by its short name (<c>http://reviews:9080/reviews/0</c>), as the
/// app does in Kubernetes. The mesh is reached through <c>HTTP_PROXY</c> (the sidecar's outbound
/// port in local mode), which .NET's default proxy settings honour; each call has its own deadline,
/// as Istio's apps set one per request.
/// </summary>
internal sealed class ServiceClient(ILogger logger)
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private readonly string _domain = Environment.GetEnvironmentVariable("SERVICES_DOMAIN") is { Length: > 0 } d ? "." + d : string.Empty;

    /// <summary><c>http://NAME:9080</c>; <c>DETAILS_HOSTNAME</c> (etc.) and <c>SERVICES_DOMAIN</c> change the host, as in Istio's sample.</summary>
    public string BaseUrl(string service)
    {
        var host = Environment.GetEnvironmentVariable(service.ToUpperInvariant() + "_HOSTNAME") is { Length: > 0 } h ? h : service;
        return $"http://{host}{_domain}:9080";
    }

    /// <summary>
    /// GETs <paramref name="url"/> with the propagated headers of <paramref name="incoming"/>. Status 0
    /// means no answer (connection failure or deadline); the body is parsed only for a 200.
    /// </summary>
    public async Task<(int Status, JsonElement Body)> GetJsonAsync(string url, HttpRequest incoming, string? user, TimeSpan timeout)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(incoming.HttpContext.RequestAborted);
        deadline.CancelAfter(timeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        PropagatedHeaders.Copy(incoming, request, user);
        try
        {
            using var response = await _http.SendAsync(request, deadline.Token);
            var text = await response.Content.ReadAsStringAsync(deadline.Token);
            if (response.StatusCode != System.Net.HttpStatusCode.OK)
            {
                logger.LogWarning("GET {Url}: {Status}", url, (int)response.StatusCode);
                return ((int)response.StatusCode, default);
            }

            using var document = JsonDocument.Parse(text);
            return (200, document.RootElement.Clone());
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException)
        {
            var reason = e is OperationCanceledException && !incoming.HttpContext.RequestAborted.IsCancellationRequested ? $"no answer within {timeout.TotalSeconds:0.#} s" : e.Message;
            logger.LogWarning("GET {Url}: {Reason}", url, reason);
            return (0, default);
        }
    }
}
