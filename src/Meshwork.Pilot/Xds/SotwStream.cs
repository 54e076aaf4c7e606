using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Meshwork.Pilot.Generators;

namespace Meshwork.Pilot.Xds;

/// <summary>
/// One state-of-the-world ADS stream (StreamAggregatedResources). A response goes out for a new
/// subscription, a change of names, or a push that concerns the type; an ACK or a NACK gets none;
/// a request with an old nonce is ignored.
/// </summary>
internal sealed class SotwStream(DiscoveryServer server, IServerStreamWriter<DiscoveryResponse> responses)
    : AdsStream<DiscoveryRequest>(server, delta: false)
{
    protected override Envoy.Config.Core.V3.Node? NodeOf(DiscoveryRequest request) => request.Node;

    protected override Task<bool> RespondToPushAsync(WatchedResource watch, CancellationToken cancellationToken) =>
        RespondAsync(watch, onlyChanged: true, cancellationToken);

    protected override void ShareNames(DiscoveryRequest request) => Server.ShareNames(request.ResourceNames);

    protected override async Task HandleAsync(DiscoveryRequest request, CancellationToken cancellationToken)
    {
        var type = request.TypeUrl;
        Connection.Watched.TryGetValue(type, out var watch);
        var names = request.ResourceNames.ToHashSet(StringComparer.Ordinal);
        if (request.ResponseNonce.Length == 0 || watch == null)
        {
            // A new subscription, or a proxy that reconnected from another Server.
            watch = Connection.Watch(type);
            watch.Wildcard = names.Count == 0 && TypeUrls.IsWildcardType(type);
            watch.SetNames(names);
            watch.VersionAcked = request.VersionInfo;
            await Server.ThrottledAsync(() => RespondAsync(watch, onlyChanged: false, cancellationToken), cancellationToken).ConfigureAwait(false);
            return;
        }

        if (request.ResponseNonce != watch.NonceSent)
        {
            Server.StaleNonce(Connection, type, request.ResponseNonce);
            return;
        }

        if (request.ErrorDetail is { } nack && (nack.Code != 0 || nack.Message.Length > 0))
        {
            Server.Nacked(Connection, watch, request.ResponseNonce, nack.Message);
            return;
        }

        Server.Acked(watch, request.VersionInfo, request.ResponseNonce);
        if (watch.Wildcard && names.Count == 0 || (!watch.Wildcard && names.SetEquals(watch.Names)))
        {
            return;
        }

        watch.Wildcard = false;
        watch.SetNames(names);
        if (names.Count == 0)
        {
            // An unsubscribe (a gRPC client closing its channel): nothing to send.
            watch.Sent.Clear();
            watch.InSyncWith = null;
            return;
        }

        await Server.ThrottledAsync(() => RespondAsync(watch, onlyChanged: false, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends the type's resources. LDS and CDS are sent whole (anything left out would be deleted);
    /// RDS and EDS may be sent in part, so a push sends only the resources whose version changed.
    /// </summary>
    private async Task<bool> RespondAsync(WatchedResource watch, bool onlyChanged, CancellationToken cancellationToken)
    {
        var resources = Server.Generate(Connection, watch);
        var fingerprint = (resources as GeneratedSet)?.Fingerprint;
        var whole = TypeUrls.IsWildcardType(watch.TypeUrl);
        IReadOnlyList<GeneratedResource> toSend = resources;
        if (onlyChanged)
        {
            if (fingerprint != null && fingerprint == watch.InSyncWith)
            {
                return false;
            }

            var changed = resources.Where(r => !watch.Sent.TryGetVersion(r.Name, out var v) || v != r.Version).ToList();

            // With nothing changed every generated name was sent, so a sent name is gone exactly when there are more sent names.
            var removed = whole && changed.Count == 0 && watch.Sent.Count > resources.Select(r => r.Name).Distinct(StringComparer.Ordinal).Count();
            if (changed.Count == 0 && !removed)
            {
                watch.InSyncWith = fingerprint;
                return false;
            }

            toSend = whole ? resources : changed;
        }

        var response = new DiscoveryResponse
        {
            TypeUrl = watch.TypeUrl,
            VersionInfo = Server.Snapshot.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Nonce = Server.NextNonce(),
        };
        response.Resources.AddRange(toSend.Select(r => r.Resource));
        await Server.WriteAsync(responses, response, cancellationToken).ConfigureAwait(false);
        if (whole && resources is GeneratedSet set)
        {
            // A whole answer replaces what the proxy held: it now holds exactly this output.
            watch.Sent.Become(set);
        }
        else
        {
            if (whole)
            {
                watch.Sent.Clear();
            }

            foreach (var resource in toSend)
            {
                watch.Sent.Set(resource.Name, resource.Version);
            }
        }

        watch.Responded(fingerprint, response.Nonce, response.VersionInfo, Server.Now);
        Server.Sent(watch.TypeUrl);
        return true;
    }
}
