using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Meshwork.Pilot.Push;

namespace Meshwork.Pilot.Xds;

/// <summary>
/// One incremental ADS stream (DeltaAggregatedResources): the proxy subscribes and unsubscribes by
/// name, and each response carries only the resources whose version differs from what the proxy
/// holds, plus the names that no longer exist.
/// </summary>
internal sealed class DeltaStream(DiscoveryServer server, IServerStreamWriter<DeltaDiscoveryResponse> responses)
{
    private static readonly string[] PushOrder = [TypeUrls.Cluster, TypeUrls.Endpoint, TypeUrls.Listener, TypeUrls.Route, TypeUrls.Secret];

    private XdsConnection _connection = null!;
    private PushRequest? _lastPush;

    public async Task RunAsync(IAsyncStreamReader<DeltaDiscoveryRequest> requests, CancellationToken cancellationToken)
    {
        if (!await requests.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var first = requests.Current;
        if (first.Node == null)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first request of a stream must carry the node"));
        }

        _connection = server.Open(first.Node, delta: true, out var error) ?? throw new RpcException(new Status(StatusCode.InvalidArgument, error ?? "bad node"));
        try
        {
            _connection.Events.Writer.TryWrite(first);
            var reader = ReadAsync(requests, cancellationToken);
            await foreach (var item in _connection.Events.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (item is DeltaDiscoveryRequest request)
                {
                    await HandleAsync(request, cancellationToken).ConfigureAwait(false);
                }
                else if (_connection.TakePush() is { } push)
                {
                    _lastPush = push;
                    foreach (var type in PushOrder.Concat(_connection.Watched.Keys.Except(PushOrder)))
                    {
                        if (_connection.Watched.TryGetValue(type, out var watch) && (watch.Wildcard || watch.Names.Count > 0) && server.Concerns(type, push, _connection.Proxy))
                        {
                            await server.ThrottledAsync(async () => { await RespondAsync(watch, always: false, cancellationToken).ConfigureAwait(false); return true; }, cancellationToken).ConfigureAwait(false);
                        }
                    }
                }
            }

            await reader.ConfigureAwait(false);
        }
        finally
        {
            server.Close(_connection);
        }
    }

    private async Task ReadAsync(IAsyncStreamReader<DeltaDiscoveryRequest> requests, CancellationToken cancellationToken)
    {
        try
        {
            while (await requests.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                _connection.Events.Writer.TryWrite(requests.Current);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or RpcException)
        {
        }
        finally
        {
            _connection.Events.Writer.TryComplete();
        }
    }

    private async Task HandleAsync(DeltaDiscoveryRequest request, CancellationToken cancellationToken)
    {
        var type = request.TypeUrl;
        var isNew = !_connection.Watched.ContainsKey(type);
        var watch = _connection.Watch(type);
        if (isNew)
        {
            watch.Wildcard = TypeUrls.IsWildcardType(type) && request.ResourceNamesSubscribe.Count == 0;
            foreach (var (name, version) in request.InitialResourceVersions)
            {
                watch.SentVersions[name] = version;
            }
        }

        if (request.ResponseNonce.Length > 0)
        {
            if (request.ResponseNonce != watch.NonceSent)
            {
                server.StaleNonce(_connection, type, request.ResponseNonce);
            }
            else if (request.ErrorDetail is { } nack && (nack.Code != 0 || nack.Message.Length > 0))
            {
                server.Nacked(_connection, watch, request.ResponseNonce, nack.Message);
            }
            else
            {
                server.Acked(_connection, watch, watch.VersionSent, request.ResponseNonce, _lastPush);
            }
        }

        var changed = false;
        foreach (var name in request.ResourceNamesSubscribe)
        {
            changed |= name == "*" ? !watch.Wildcard && (watch.Wildcard = true) : watch.Names.Add(name);
        }

        foreach (var name in request.ResourceNamesUnsubscribe)
        {
            if (name == "*")
            {
                changed |= watch.Wildcard;
                watch.Wildcard = false;
            }
            else if (watch.Names.Remove(name))
            {
                watch.SentVersions.Remove(name);
                changed = true;
            }
        }

        if (isNew || changed)
        {
            await RespondAsync(watch, always: isNew, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RespondAsync(WatchedResource watch, bool always, CancellationToken cancellationToken)
    {
        var resources = server.Generate(_connection, watch);
        var changed = resources.Where(r => !watch.SentVersions.TryGetValue(r.Name, out var v) || v != r.Version).ToList();
        var present = resources.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        var removed = watch.SentVersions.Keys.Where(n => !present.Contains(n) && (watch.Wildcard || watch.Names.Contains(n))).ToList();
        if (!always && changed.Count == 0 && removed.Count == 0)
        {
            return;
        }

        var response = new DeltaDiscoveryResponse
        {
            TypeUrl = watch.TypeUrl,
            SystemVersionInfo = server.Snapshot.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Nonce = server.NextNonce(),
        };
        response.Resources.AddRange(changed.Select(r => new Resource { Name = r.Name, Version = r.Version, Resource_ = r.Resource }));
        response.RemovedResources.AddRange(removed);
        await responses.WriteAsync(response, cancellationToken).ConfigureAwait(false);
        foreach (var resource in changed)
        {
            watch.SentVersions[resource.Name] = resource.Version;
        }

        foreach (var name in removed)
        {
            watch.SentVersions.Remove(name);
        }

        watch.NonceSent = response.Nonce;
        watch.VersionSent = response.SystemVersionInfo;
        watch.LastSent = server.Now;
        server.Sent(watch.TypeUrl);
    }
}
