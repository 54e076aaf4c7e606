using Grpc.Core;
using Meshwork.Pilot.Push;

namespace Meshwork.Pilot.Xds;

/// <summary>
/// What both ADS stream flavours share: the first request must carry the node; requests are read on
/// their own task and handled, with pushes, by one loop in arrival order; the connection is closed
/// (and the proxy unregistered) however the stream ends.
/// </summary>
internal abstract class AdsStream<TRequest>(DiscoveryServer server, bool delta)
    where TRequest : class
{
    /// <summary>Envoy's make-before-break order: clusters and their endpoints before the listeners and routes that use them.</summary>
    protected static readonly string[] PushOrder = [TypeUrls.Cluster, TypeUrls.Endpoint, TypeUrls.Listener, TypeUrls.Route, TypeUrls.Secret];

    protected DiscoveryServer Server { get; } = server;

    protected XdsConnection Connection { get; private set; } = null!;

    public async Task RunAsync(IAsyncStreamReader<TRequest> requests, CancellationToken cancellationToken)
    {
        if (!await requests.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var first = requests.Current;
        var node = NodeOf(first) ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "the first request of a stream must carry the node"));
        Connection = Server.Open(node, delta, out var error) ?? throw new RpcException(new Status(StatusCode.InvalidArgument, error ?? "bad node"));
        try
        {
            ShareNames(first);
            Connection.Events.Writer.TryWrite(first);
            var reader = ReadAsync(requests, cancellationToken);
            await foreach (var item in Connection.Events.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (item is TRequest request)
                {
                    await HandleAsync(request, cancellationToken).ConfigureAwait(false);
                }
                else if (Connection.TakePush() is { } push)
                {
                    await PushAsync(push, cancellationToken).ConfigureAwait(false);
                }
            }

            await reader.ConfigureAwait(false);
        }
        finally
        {
            Server.Close(Connection);
        }
    }

    protected abstract Envoy.Config.Core.V3.Node? NodeOf(TRequest request);

    protected abstract Task HandleAsync(TRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the resource names of a request just read by the server's one instance of each
    /// (<see cref="DiscoveryServer.Canonical"/>). A request stays referenced until it is handled and
    /// until the stream reads the next one, which a proxy sends only after the answer; while a
    /// thousand sidecars sync, their EDS subscriptions (4000 names each at 1000 services) waited
    /// for the push throttle, outlived young collections, and were 470 MB of dead strings in the
    /// old generation, most of meshd's resident memory. Every request passes here before it is
    /// handled, so the handlers use its names as they are.
    /// </summary>
    protected abstract void ShareNames(TRequest request);

    /// <summary>Sends, in push order, every watched type the push concerns; <paramref name="respond"/> decides what goes out.</summary>
    protected async Task PushAsync(PushRequest push, CancellationToken cancellationToken)
    {
        foreach (var type in PushOrder.Concat(Connection.Watched.Keys.Except(PushOrder)))
        {
            if (Connection.Watched.TryGetValue(type, out var watch) && (watch.Wildcard || watch.Names.Count > 0) && Server.Concerns(type, push, Connection.Proxy))
            {
                if (await Server.ThrottledAsync(() => RespondToPushAsync(watch, cancellationToken), cancellationToken).ConfigureAwait(false))
                {
                    watch.PushPendingSince = push.Start;
                }
            }
        }
    }

    /// <summary>Sends what changed of one watched type after a push; true when something went out.</summary>
    protected abstract Task<bool> RespondToPushAsync(WatchedResource watch, CancellationToken cancellationToken);

    private async Task ReadAsync(IAsyncStreamReader<TRequest> requests, CancellationToken cancellationToken)
    {
        try
        {
            while (await requests.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                var request = requests.Current;
                ShareNames(request);
                Connection.Events.Writer.TryWrite(request);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or RpcException)
        {
            // The proxy went away; the loop ends when the channel completes.
        }
        finally
        {
            Connection.Events.Writer.TryComplete();
        }
    }
}
