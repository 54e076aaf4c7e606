using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Meshwork.Pilot.Generators;
using Meshwork.Pilot.Push;

namespace Meshwork.Pilot.Xds;

/// <summary>
/// One state-of-the-world ADS stream (StreamAggregatedResources). A response goes out for a new
/// subscription, a change of names, or a push that concerns the type; an ACK or a NACK gets none;
/// a request with an old nonce is ignored.
/// </summary>
internal sealed class SotwStream(DiscoveryServer server, IServerStreamWriter<DiscoveryResponse> responses)
{
    /// <summary>Envoy's make-before-break order: clusters and their endpoints before the listeners and routes that use them.</summary>
    private static readonly string[] PushOrder = [TypeUrls.Cluster, TypeUrls.Endpoint, TypeUrls.Listener, TypeUrls.Route, TypeUrls.Secret];

    private XdsConnection _connection = null!;
    private PushRequest? _lastPush;

    public async Task RunAsync(IAsyncStreamReader<DiscoveryRequest> requests, CancellationToken cancellationToken)
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

        _connection = server.Open(first.Node, delta: false, out var error) ?? throw new RpcException(new Status(StatusCode.InvalidArgument, error ?? "bad node"));
        try
        {
            _connection.Events.Writer.TryWrite(first);
            var reader = ReadAsync(requests, cancellationToken);
            await foreach (var item in _connection.Events.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (item is DiscoveryRequest request)
                {
                    await HandleAsync(request, cancellationToken).ConfigureAwait(false);
                }
                else if (_connection.TakePush() is { } push)
                {
                    await PushAsync(push, cancellationToken).ConfigureAwait(false);
                }
            }

            await reader.ConfigureAwait(false);
        }
        finally
        {
            server.Close(_connection);
        }
    }

    private async Task ReadAsync(IAsyncStreamReader<DiscoveryRequest> requests, CancellationToken cancellationToken)
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
            // The proxy went away; the loop ends when the channel completes.
        }
        finally
        {
            _connection.Events.Writer.TryComplete();
        }
    }

    private async Task HandleAsync(DiscoveryRequest request, CancellationToken cancellationToken)
    {
        var type = request.TypeUrl;
        _connection.Watched.TryGetValue(type, out var watch);
        var names = request.ResourceNames.ToHashSet(StringComparer.Ordinal);
        if (request.ResponseNonce.Length == 0 || watch == null)
        {
            // A new subscription, or a proxy that reconnected from another server.
            watch = _connection.Watch(type);
            watch.Wildcard = names.Count == 0 && TypeUrls.IsWildcardType(type);
            watch.Names.Clear();
            watch.Names.UnionWith(names);
            watch.VersionAcked = request.VersionInfo;
            await RespondAsync(watch, onlyChanged: false, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (request.ResponseNonce != watch.NonceSent)
        {
            server.StaleNonce(_connection, type, request.ResponseNonce);
            return;
        }

        if (request.ErrorDetail is { } nack && (nack.Code != 0 || nack.Message.Length > 0))
        {
            server.Nacked(_connection, watch, request.ResponseNonce, nack.Message);
            return;
        }

        server.Acked(_connection, watch, request.VersionInfo, request.ResponseNonce, _lastPush);
        if (watch.Wildcard && names.Count == 0 || (!watch.Wildcard && names.SetEquals(watch.Names)))
        {
            return;
        }

        watch.Wildcard = false;
        watch.Names.Clear();
        watch.Names.UnionWith(names);
        if (names.Count == 0)
        {
            // An unsubscribe (a gRPC client closing its channel): nothing to send.
            watch.SentVersions.Clear();
            return;
        }

        await RespondAsync(watch, onlyChanged: false, cancellationToken).ConfigureAwait(false);
    }

    private async Task PushAsync(PushRequest push, CancellationToken cancellationToken)
    {
        _lastPush = push;
        foreach (var type in PushOrder.Concat(_connection.Watched.Keys.Except(PushOrder)))
        {
            if (_connection.Watched.TryGetValue(type, out var watch) && (watch.Wildcard || watch.Names.Count > 0) && server.Concerns(type, push, _connection.Proxy))
            {
                await server.ThrottledAsync(async () => await RespondAsync(watch, onlyChanged: true, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Sends the type's resources. LDS and CDS are sent whole (anything left out would be deleted);
    /// RDS and EDS may be sent in part, so a push sends only the resources whose version changed.
    /// </summary>
    private async Task<bool> RespondAsync(WatchedResource watch, bool onlyChanged, CancellationToken cancellationToken)
    {
        var resources = server.Generate(_connection, watch);
        var whole = TypeUrls.IsWildcardType(watch.TypeUrl);
        IReadOnlyList<GeneratedResource> toSend = resources;
        if (onlyChanged)
        {
            var changed = resources.Where(r => !watch.SentVersions.TryGetValue(r.Name, out var v) || v != r.Version).ToList();
            var removed = whole && watch.SentVersions.Keys.Any(n => resources.All(r => r.Name != n));
            if (changed.Count == 0 && !removed)
            {
                return false;
            }

            toSend = whole ? resources : changed;
        }

        var response = new DiscoveryResponse
        {
            TypeUrl = watch.TypeUrl,
            VersionInfo = server.Snapshot.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Nonce = server.NextNonce(),
        };
        response.Resources.AddRange(toSend.Select(r => r.Resource));
        await responses.WriteAsync(response, cancellationToken).ConfigureAwait(false);
        if (whole)
        {
            watch.SentVersions.Clear();
        }

        foreach (var resource in toSend)
        {
            watch.SentVersions[resource.Name] = resource.Version;
        }

        watch.NonceSent = response.Nonce;
        watch.VersionSent = response.VersionInfo;
        watch.LastSent = server.Now;
        server.Sent(watch.TypeUrl);
        return true;
    }
}
