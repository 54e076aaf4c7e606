using Envoy.Service.Discovery.V3;
using Grpc.Core;

namespace Meshwork.Proxy.Xds;

/// <summary>
/// State-of-the-world ADS for control planes without delta: every LDS/CDS response is the whole set
/// (what it leaves out is removed); RDS/EDS responses may carry some of the requested names.
/// ACKs carry the response's version, NACKs the last accepted one and the reason.
/// </summary>
internal sealed partial class SotwSession(ProxyOptions options, ConfigHolder holder, ILogger logger)
{
    private readonly Dictionary<string, string> _nonces = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _names = new(StringComparer.Ordinal)
    {
        [ConfigApplier.EndpointType] = [],
        [ConfigApplier.RouteType] = [],
    };

    public async Task RunAsync(AggregatedDiscoveryService.AggregatedDiscoveryServiceClient client, Action connected, CancellationToken stoppingToken)
    {
        using var call = client.StreamAggregatedResources(cancellationToken: stoppingToken);
        connected();
        var current = holder.Current;
        await call.RequestStream.WriteAsync(new DiscoveryRequest { Node = ProxyNodeBuilder.Build(options), TypeUrl = ConfigApplier.ClusterType, VersionInfo = current.Versions.GetValueOrDefault(ConfigApplier.ClusterType, string.Empty) }, stoppingToken).ConfigureAwait(false);
        await call.RequestStream.WriteAsync(new DiscoveryRequest { TypeUrl = ConfigApplier.ListenerType, VersionInfo = current.Versions.GetValueOrDefault(ConfigApplier.ListenerType, string.Empty) }, stoppingToken).ConfigureAwait(false);
        await FollowAsync(call.RequestStream, current, stoppingToken).ConfigureAwait(false);
        await foreach (var response in call.ResponseStream.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            _nonces[response.TypeUrl] = response.Nonce;
            var before = holder.Current;
            var resources = response.Resources.Select(r => new IncomingResource(NameOf(r), response.VersionInfo, r)).ToList();
            var present = resources.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
            IReadOnlyList<string> removed = response.TypeUrl is ConfigApplier.ListenerType or ConfigApplier.ClusterType
                ? XdsClient.Held(before, response.TypeUrl).Select(h => h.Name).Where(n => !present.Contains(n)).ToList()
                : [];
            var (next, error) = ConfigApplier.Apply(before, response.TypeUrl, resources, removed, response.VersionInfo);
            if (next != null && !holder.TryApply(next, response.TypeUrl, out error))
            {
                next = null;
            }

            var reply = new DiscoveryRequest { TypeUrl = response.TypeUrl, ResponseNonce = response.Nonce };
            reply.ResourceNames.AddRange(_names.GetValueOrDefault(response.TypeUrl) ?? []);
            if (next == null)
            {
                reply.VersionInfo = before.Versions.GetValueOrDefault(response.TypeUrl, string.Empty);
                reply.ErrorDetail = new Google.Rpc.Status { Code = (int)StatusCode.InvalidArgument, Message = error };
                Log.Rejected(logger, response.TypeUrl, response.Nonce, error!);
                await call.RequestStream.WriteAsync(reply, stoppingToken).ConfigureAwait(false);
                continue;
            }

            reply.VersionInfo = response.VersionInfo;
            await call.RequestStream.WriteAsync(reply, stoppingToken).ConfigureAwait(false);
            await FollowAsync(call.RequestStream, next, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>Asks for the route tables and endpoint sets the config names when that set changed.</summary>
    private async Task FollowAsync(IClientStreamWriter<DiscoveryRequest> requests, AppliedConfig config, CancellationToken cancellationToken)
    {
        foreach (var (type, wanted) in new[] { (ConfigApplier.EndpointType, config.EndpointNames.ToHashSet(StringComparer.Ordinal)), (ConfigApplier.RouteType, config.RouteNames.ToHashSet(StringComparer.Ordinal)) })
        {
            if (wanted.SetEquals(_names[type]))
            {
                continue;
            }

            _names[type] = wanted;
            var request = new DiscoveryRequest
            {
                TypeUrl = type,
                ResponseNonce = _nonces.GetValueOrDefault(type, string.Empty),
                VersionInfo = config.Versions.GetValueOrDefault(type, string.Empty),
            };
            request.ResourceNames.AddRange(wanted.Order(StringComparer.Ordinal));
            await requests.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>SotW resources carry no names beside them: read each message's own name.</summary>
    private static string NameOf(Google.Protobuf.WellKnownTypes.Any resource) => resource.TypeUrl switch
    {
        ConfigApplier.ListenerType => resource.Unpack<Envoy.Config.Listener.V3.Listener>().Name,
        ConfigApplier.RouteType => resource.Unpack<Envoy.Config.Route.V3.RouteConfiguration>().Name,
        ConfigApplier.ClusterType => resource.Unpack<Envoy.Config.Cluster.V3.Cluster>().Name,
        ConfigApplier.EndpointType => resource.Unpack<Envoy.Config.Endpoint.V3.ClusterLoadAssignment>().ClusterName,
        _ => string.Empty,
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "xDS: rejected {Type} (nonce {Nonce}): {Reason}")]
        public static partial void Rejected(ILogger logger, string type, string nonce, string reason);
    }
}
