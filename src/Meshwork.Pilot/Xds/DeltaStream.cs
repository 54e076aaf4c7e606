using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Meshwork.Pilot.Generators;

namespace Meshwork.Pilot.Xds;

/// <summary>
/// One incremental ADS stream (DeltaAggregatedResources): the proxy subscribes and unsubscribes by
/// name, and each response carries only the resources whose version differs from what the proxy
/// holds, plus the names that no longer exist.
/// </summary>
internal sealed class DeltaStream(DiscoveryServer server, IServerStreamWriter<DeltaDiscoveryResponse> responses)
    : AdsStream<DeltaDiscoveryRequest>(server, delta: true)
{
    protected override Envoy.Config.Core.V3.Node? NodeOf(DeltaDiscoveryRequest request) => request.Node;

    protected override Task<bool> RespondToPushAsync(WatchedResource watch, CancellationToken cancellationToken) =>
        RespondAsync(watch, always: false, cancellationToken);

    protected override async Task HandleAsync(DeltaDiscoveryRequest request, CancellationToken cancellationToken)
    {
        var type = request.TypeUrl;
        var isNew = !Connection.Watched.ContainsKey(type);
        var watch = Connection.Watch(type);
        if (isNew)
        {
            watch.Wildcard = TypeUrls.IsWildcardType(type) && request.ResourceNamesSubscribe.Count == 0;
            foreach (var (name, version) in request.InitialResourceVersions)
            {
                watch.SentVersions[Server.Canonical(name)] = version;
            }
        }

        if (request.ResponseNonce.Length > 0)
        {
            if (request.ResponseNonce != watch.NonceSent)
            {
                Server.StaleNonce(Connection, type, request.ResponseNonce);
            }
            else if (request.ErrorDetail is { } nack && (nack.Code != 0 || nack.Message.Length > 0))
            {
                Server.Nacked(Connection, watch, request.ResponseNonce, nack.Message);
            }
            else
            {
                Server.Acked(watch, watch.VersionSent, request.ResponseNonce);
            }
        }

        var changed = false;
        foreach (var name in request.ResourceNamesSubscribe)
        {
            changed |= name == "*" ? !watch.Wildcard && (watch.Wildcard = true) : watch.Names.Add(Server.Canonical(name));
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

        if (changed)
        {
            watch.InSyncWith = null;
        }

        if (isNew || changed)
        {
            await Server.ThrottledAsync(() => RespondAsync(watch, always: isNew, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<bool> RespondAsync(WatchedResource watch, bool always, CancellationToken cancellationToken)
    {
        var resources = Server.Generate(Connection, watch);
        var fingerprint = (resources as GeneratedSet)?.Fingerprint;
        if (!always && fingerprint != null && fingerprint == watch.InSyncWith)
        {
            return false;
        }

        var changed = new List<GeneratedResource>();
        var present = new HashSet<string>(resources.Count, StringComparer.Ordinal);
        foreach (var resource in resources)
        {
            present.Add(resource.Name);
            if (!watch.SentVersions.TryGetValue(resource.Name, out var version) || version != resource.Version)
            {
                changed.Add(resource);
            }
        }

        var removed = watch.SentVersions.Count == present.Count && changed.Count == 0
            ? []
            : watch.SentVersions.Keys.Where(n => !present.Contains(n) && (watch.Wildcard || watch.Names.Contains(n))).ToList();
        if (!always && changed.Count == 0 && removed.Count == 0)
        {
            watch.InSyncWith = fingerprint;
            return false;
        }

        var response = new DeltaDiscoveryResponse
        {
            TypeUrl = watch.TypeUrl,
            SystemVersionInfo = Server.Snapshot.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Nonce = Server.NextNonce(),
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

        watch.InSyncWith = fingerprint;
        watch.NonceSent = response.Nonce;
        watch.VersionSent = response.SystemVersionInfo;
        watch.LastSent = Server.Now;
        watch.PushPendingSince = null;
        Server.Sent(watch.TypeUrl);
        return true;
    }
}
