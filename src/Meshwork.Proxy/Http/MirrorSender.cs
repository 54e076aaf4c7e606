using Meshwork.Proxy.Routing;
using Meshwork.Proxy.Runtime;
using Meshwork.Proxy.Stats;
using Microsoft.Net.Http.Headers;

namespace Meshwork.Proxy.Http;

/// <summary>
/// Request mirroring (Istio's <c>mirror</c>): a copy of the request goes to the mirror cluster with
/// <c>-shadow</c> appended to the host, fire and forget. Its answer is read and dropped and its
/// failures never touch the real request. A request body is mirrored from the copy the proxy kept
/// while forwarding (bounded), so the real request still streams.
/// </summary>
internal sealed class MirrorSender(DataPlane plane, Func<double> random, StatsStore stats)
{
    /// <summary>Bodies up to this size are mirrored with the request; larger ones are mirrored without their body and counted.</summary>
    public const int MaxMirroredBody = 1024 * 1024;

    private readonly Counter _sent = stats.Counter("mirror.requests_sent");
    private readonly Counter _failed = stats.Counter("mirror.requests_failed");
    private readonly Counter _truncated = stats.Counter("mirror.bodies_not_mirrored");

    /// <summary>The mirrors this request goes to (decided once, by each policy's percentage).</summary>
    public IReadOnlyList<MirrorPolicy> Choose(IReadOnlyList<MirrorPolicy> policies)
    {
        if (policies.Count == 0)
        {
            return [];
        }

        List<MirrorPolicy>? chosen = null;
        foreach (var policy in policies)
        {
            if (policy.ShouldMirror(random()))
            {
                (chosen ??= []).Add(policy);
            }
        }

        return chosen ?? (IReadOnlyList<MirrorPolicy>)[];
    }

    /// <summary>Sends the copies; <paramref name="body"/> is the request body as forwarded (null when it had none).</summary>
    public void Send(HttpContext context, string authority, string pathAndQuery, IReadOnlyList<MirrorPolicy> mirrors, byte[]? body, bool bodyTooLarge)
    {
        foreach (var mirror in mirrors)
        {
            var clusterName = mirror.Cluster.Length > 0 ? mirror.Cluster : context.Request.Headers[mirror.ClusterHeader].ToString();
            if (!plane.Clusters.TryGet(clusterName, out var cluster) || cluster.Pick(default) is not { Transport.Invoker: { } invoker } endpoint)
            {
                _failed.Increment();
                continue;
            }

            var copy = new HttpRequestMessage(new HttpMethod(context.Request.Method), endpoint.DestinationPrefix + pathAndQuery);
            foreach (var (name, values) in context.Request.Headers)
            {
                if (!IsHopOrContent(name))
                {
                    copy.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
                }
            }

            copy.Headers.Host = mirror.DisableShadowHostSuffixAppend ? authority : ShadowHost(authority);
            if (body != null)
            {
                copy.Content = new ByteArrayContent(body);
                if (context.Request.ContentType is { } type)
                {
                    copy.Content.Headers.TryAddWithoutValidation(HeaderNames.ContentType, type);
                }
            }

            if (bodyTooLarge)
            {
                _truncated.Increment();
            }

            _ = SendAsync(invoker, copy);
        }
    }

    private async Task SendAsync(HttpMessageInvoker invoker, HttpRequestMessage request)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            using var response = await invoker.SendAsync(request, timeout.Token).ConfigureAwait(false);
            await response.Content.CopyToAsync(Stream.Null, timeout.Token).ConfigureAwait(false);
            _sent.Increment();
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            _failed.Increment();
        }
        finally
        {
            request.Dispose();
        }
    }

    /// <summary>Envoy's shadow host: <c>reviews:9080</c> → <c>reviews-shadow:9080</c>.</summary>
    internal static string ShadowHost(string authority)
    {
        var colon = authority.LastIndexOf(':');
        var bracket = authority.LastIndexOf(']');
        return colon > 0 && colon > bracket
            ? string.Concat(authority.AsSpan(0, colon), "-shadow", authority.AsSpan(colon))
            : authority + "-shadow";
    }

    private static bool IsHopOrContent(string name) =>
        name.Equals(HeaderNames.Host, StringComparison.OrdinalIgnoreCase)
        || name.Equals(HeaderNames.Connection, StringComparison.OrdinalIgnoreCase)
        || name.Equals(HeaderNames.TransferEncoding, StringComparison.OrdinalIgnoreCase)
        || name.Equals(HeaderNames.KeepAlive, StringComparison.OrdinalIgnoreCase)
        || name.Equals(HeaderNames.Upgrade, StringComparison.OrdinalIgnoreCase)
        || name.Equals(HeaderNames.ProxyConnection, StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith(':');
}
