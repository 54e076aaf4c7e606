namespace Meshwork.Samples.Bookinfo;

/// <summary>
/// The headers every Bookinfo service copies from the request it serves onto the requests it
/// makes, as Istio's samples do: the proxies start and end spans, but only the app can tie its
/// inbound request to its outbound calls, so trace context (W3C, B3 single and multi, Lightstep,
/// Datadog, Cloud Trace, gRPC, SkyWalking), x-request-id, the signed-in user and the session
/// headers travel hop by hop.
/// </summary>
internal static class PropagatedHeaders
{
    public static readonly string[] Names =
    [
        "x-request-id",
        "traceparent", "tracestate",
        "b3", "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags",
        "x-ot-span-context",
        "x-datadog-trace-id", "x-datadog-parent-id", "x-datadog-sampling-priority",
        "x-cloud-trace-context", "grpc-trace-bin", "sw8",
        "end-user", "user-agent",
        "cookie", "authorization", "jwt",
    ];

    /// <summary>Copies the propagated headers of <paramref name="from"/>; <c>end-user</c> is <paramref name="user"/> when given.</summary>
    public static void Copy(HttpRequest from, HttpRequestMessage to, string? user = null)
    {
        foreach (var name in Names)
        {
            if (name == "end-user" && !string.IsNullOrEmpty(user))
            {
                to.Headers.TryAddWithoutValidation(name, user);
            }
            else if (from.Headers.TryGetValue(name, out var values) && values.Count > 0)
            {
                to.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }
    }
}
