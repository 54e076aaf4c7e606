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

    protected override void ShareNames(DeltaDiscoveryRequest request)
    {
        Server.ShareNames(request.ResourceNamesSubscribe);
        Server.ShareNames(request.ResourceNamesUnsubscribe);
    }

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
                watch.Sent.Set(Server.Canonical(name), version);
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
            changed |= name == "*" ? !watch.Wildcard && (watch.Wildcard = true) : watch.AddName(name);
        }

        foreach (var name in request.ResourceNamesUnsubscribe)
        {
            if (name == "*")
            {
                changed |= watch.Wildcard;
                watch.Wildcard = false;
            }
            else if (watch.RemoveName(name))
            {
                watch.Sent.Remove(name);
                changed = true;
            }
        }

        if (changed)
        {
            // What the proxy holds is no longer one whole output for its subscription.
            watch.Sent.Detach();
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

        var set = resources as GeneratedSet;
        IReadOnlyList<GeneratedResource> changed;
        IReadOnlyList<string> removed;
        if (set != null && watch.Sent.Basis is { } basis)
        {
            // The proxy holds exactly an earlier output: the delta from it is shared by every proxy that held it.
            var delta = set.DeltaFrom(basis);
            (changed, removed) = (delta.Changed, delta.Removed);
        }
        else
        {
            (changed, removed) = Diff(watch, resources);
        }

        if (!always && changed.Count == 0 && removed.Count == 0)
        {
            Settle(watch, set, changed, removed);
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
        await Server.WriteAsync(responses, response, cancellationToken).ConfigureAwait(false);
        Settle(watch, set, changed, removed);
        watch.Responded(fingerprint, response.Nonce, response.SystemVersionInfo, Server.Now);
        Server.Sent(watch.TypeUrl);
        return true;
    }

    /// <summary>The resources to send (new, or of another version than the proxy holds) and the held names to remove.</summary>
    private static (IReadOnlyList<GeneratedResource> Changed, IReadOnlyList<string> Removed) Diff(WatchedResource watch, IReadOnlyList<GeneratedResource> resources)
    {
        var changed = new List<GeneratedResource>();
        var present = new HashSet<string>(resources.Count, StringComparer.Ordinal);
        foreach (var resource in resources)
        {
            present.Add(resource.Name);
            if (!watch.Sent.TryGetVersion(resource.Name, out var version) || version != resource.Version)
            {
                changed.Add(resource);
            }
        }

        var removed = watch.Sent.Count == present.Count && changed.Count == 0
            ? []
            : watch.Sent.Names.Where(n => !present.Contains(n) && (watch.Wildcard || watch.Names.Contains(n))).ToList();
        return (changed, removed);
    }

    /// <summary>
    /// Records that the proxy now holds the output: by reference when it is a cached one (all the
    /// proxy holds for its subscription is exactly it), else name by name.
    /// </summary>
    private static void Settle(WatchedResource watch, GeneratedSet? set, IReadOnlyList<GeneratedResource> changed, IReadOnlyList<string> removed)
    {
        if (set != null)
        {
            watch.Sent.Become(set);
            return;
        }

        foreach (var resource in changed)
        {
            watch.Sent.Set(resource.Name, resource.Version);
        }

        foreach (var name in removed)
        {
            watch.Sent.Remove(name);
        }
    }
}
