using Meshwork.Proxy.Upstream;

namespace Meshwork.Proxy.Http;

/// <summary>Why a filter's call to a service got no usable answer (None: it did).</summary>
internal enum ClusterCallFailure { None, Unavailable, Timeout, Transport, BadAnswer }

/// <summary>
/// One call a filter makes to a service through the proxy's own upstream (ext_authz over HTTP or
/// gRPC, the network ext_authz, Mixer's Check and Report): the cluster's circuit-breaker lease, a
/// picked endpoint, the call's timeout, and the outcome reported to the endpoint for outlier
/// detection. Failures are values, never exceptions, unless the caller's own request was aborted.
/// </summary>
internal static class ClusterCall
{
    /// <param name="send">Makes the call on the picked endpoint and returns its answer.</param>
    /// <param name="usable">Whether the answer counts as one (false reports a 5xx to the endpoint, and BadAnswer).</param>
    public static async Task<(T? Answer, ClusterCallFailure Failure)> SendAsync<T>(
        ClusterSet clusters,
        string clusterName,
        TimeSpan timeout,
        TimeProvider time,
        CancellationToken aborted,
        Func<UpstreamCluster, UpstreamEndpoint, HttpMessageInvoker, CancellationToken, Task<T>> send,
        Func<T, bool> usable)
    {
        if (!clusters.TryGet(clusterName, out var cluster) || !cluster.TryStartRequest(out var lease))
        {
            return (default, ClusterCallFailure.Unavailable);
        }

        using (lease)
        {
            if (cluster.Pick(default) is not { Transport.Invoker: { } invoker } endpoint)
            {
                return (default, ClusterCallFailure.Unavailable);
            }

            using var deadline = timeout == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(timeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, deadline?.Token ?? CancellationToken.None);
            using (endpoint.StartRequest())
            {
                try
                {
                    var answer = await send(cluster, endpoint, invoker, linked.Token).ConfigureAwait(false);
                    var ok = usable(answer);
                    endpoint.ReportOutcome(ok ? UpstreamOutcome.Success : UpstreamOutcome.Http5xx(StatusCodes.Status503ServiceUnavailable));
                    return (answer, ok ? ClusterCallFailure.None : ClusterCallFailure.BadAnswer);
                }
                catch (Exception e) when (!aborted.IsCancellationRequested)
                {
                    // Whatever went wrong (transport, timeout, a malformed answer) is the filter's error to handle.
                    var timedOut = e is OperationCanceledException;
                    endpoint.ReportOutcome(timedOut ? UpstreamOutcome.Timeout
                        : UpstreamCaller.Describe(e) == UpstreamCaller.Failure.ConnectFailure ? UpstreamOutcome.ConnectFailure
                        : UpstreamOutcome.Reset);
                    return (default, timedOut ? ClusterCallFailure.Timeout : ClusterCallFailure.Transport);
                }
            }
        }
    }
}
