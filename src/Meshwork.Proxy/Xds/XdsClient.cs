using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Grpc.Net.Client;

namespace Meshwork.Proxy.Xds;

/// <summary>
/// The proxy's side of ADS (delta): subscribes to every listener and cluster, then to the routes and
/// endpoints they name; applies each response whole or not at all, ACKs what it applied and NACKs
/// what it cannot with the reason; keeps serving the last good config while meshd is away and
/// reconnects with jittered exponential backoff, telling meshd what it already holds.
/// </summary>
public sealed partial class XdsClient(ProxyOptions options, ConfigHolder holder, ILogger<XdsClient> logger, TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    /// <summary>Number of streams opened, for tests and the admin page.</summary>
    public int Connects;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = MinBackoff;
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = time.GetUtcNow();
            try
            {
                await RunStreamAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (stoppingToken.IsCancellationRequested && e is RpcException or OperationCanceledException)
            {
                // Stopping: the stream was cancelled on purpose.
                break;
            }
            catch (Exception e) when (e is RpcException or IOException or HttpRequestException or InvalidOperationException)
            {
                Log.StreamEnded(logger, options.DiscoveryAddress, e.Message);
            }

            if (stoppingToken.IsCancellationRequested)
            {
                break;
            }

            // A stream that lived a while resets the backoff; repeated quick failures grow it.
            backoff = time.GetUtcNow() - started > TimeSpan.FromSeconds(30) ? MinBackoff : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            var delay = TimeSpan.FromTicks((long)(backoff.Ticks * (0.5 + (Random.Shared.NextDouble() / 2))));
            try
            {
                await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task RunStreamAsync(CancellationToken stoppingToken)
    {
        using var channel = GrpcChannel.ForAddress($"http://{options.DiscoveryAddress}");
        var client = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel);
        if (options.XdsMode == XdsMode.StateOfTheWorld || _deltaUnsupported)
        {
            await new SotwSession(options, holder, logger).RunAsync(client, () => Interlocked.Increment(ref Connects), stoppingToken).ConfigureAwait(false);
            return;
        }

        try
        {
            await RunDeltaAsync(client, stoppingToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
        {
            // A control plane without delta xDS: fall back to state of the world from now on.
            _deltaUnsupported = true;
            Log.DeltaUnsupported(logger, options.DiscoveryAddress);
            throw;
        }
    }

    private bool _deltaUnsupported;

    private async Task RunDeltaAsync(AggregatedDiscoveryService.AggregatedDiscoveryServiceClient client, CancellationToken stoppingToken)
    {
        using var call = client.DeltaAggregatedResources(cancellationToken: stoppingToken);
        Interlocked.Increment(ref Connects);
        var node = ProxyNodeBuilder.Build(options);
        var current = holder.Current;
        var subscribed = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal)
        {
            [ConfigApplier.ClusterType] = [],
            [ConfigApplier.ListenerType] = [],
            [ConfigApplier.EndpointType] = [.. current.EndpointNames],
            [ConfigApplier.RouteType] = [.. current.RouteNames],
        };

        var first = true;
        foreach (var (type, names) in subscribed)
        {
            if (type is ConfigApplier.EndpointType or ConfigApplier.RouteType && names.Count == 0)
            {
                continue;
            }

            var request = new DeltaDiscoveryRequest { TypeUrl = type, Node = first ? node : null };
            request.ResourceNamesSubscribe.AddRange(names);
            foreach (var (name, version) in Held(current, type))
            {
                request.InitialResourceVersions[name] = version;
            }

            await call.RequestStream.WriteAsync(request, stoppingToken).ConfigureAwait(false);
            first = false;
        }

        Log.Connected(logger, options.DiscoveryAddress, options.NodeId);
        await foreach (var response in call.ResponseStream.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            var resources = response.Resources.Select(r => new IncomingResource(r.Name, r.Version, r.Resource_)).ToList();
            var (next, error) = ConfigApplier.Apply(holder.Current, response.TypeUrl, resources, response.RemovedResources, response.SystemVersionInfo);
            if (next != null && !holder.TryApply(next, response.TypeUrl, out error))
            {
                next = null;
            }

            var ack = new DeltaDiscoveryRequest { TypeUrl = response.TypeUrl, ResponseNonce = response.Nonce };
            if (next == null)
            {
                ack.ErrorDetail = new Google.Rpc.Status { Code = (int)StatusCode.InvalidArgument, Message = error };
                Log.Rejected(logger, response.TypeUrl, response.Nonce, error!);
                await call.RequestStream.WriteAsync(ack, stoppingToken).ConfigureAwait(false);
                continue;
            }

            await call.RequestStream.WriteAsync(ack, stoppingToken).ConfigureAwait(false);
            await FollowDependenciesAsync(call.RequestStream, next, subscribed, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>Subscribes to the routes and endpoints the applied listeners and clusters name, and drops those no longer named.</summary>
    private static async Task FollowDependenciesAsync(IClientStreamWriter<DeltaDiscoveryRequest> requests, AppliedConfig config, Dictionary<string, HashSet<string>> subscribed, CancellationToken cancellationToken)
    {
        foreach (var (type, wanted) in new[] { (ConfigApplier.EndpointType, config.EndpointNames.ToHashSet(StringComparer.Ordinal)), (ConfigApplier.RouteType, config.RouteNames.ToHashSet(StringComparer.Ordinal)) })
        {
            var have = subscribed[type];
            var add = wanted.Except(have).ToList();
            var drop = have.Except(wanted).ToList();
            if (add.Count == 0 && drop.Count == 0)
            {
                continue;
            }

            var request = new DeltaDiscoveryRequest { TypeUrl = type };
            request.ResourceNamesSubscribe.AddRange(add);
            request.ResourceNamesUnsubscribe.AddRange(drop);
            await requests.WriteAsync(request, cancellationToken).ConfigureAwait(false);
            have.UnionWith(add);
            have.ExceptWith(drop);
        }
    }

    internal static IEnumerable<(string Name, string Version)> Held(AppliedConfig config, string type) => type switch
    {
        ConfigApplier.ListenerType => config.Listeners.Values.Select(r => (r.Name, r.Version)),
        ConfigApplier.RouteType => config.Routes.Values.Select(r => (r.Name, r.Version)),
        ConfigApplier.ClusterType => config.Clusters.Values.Select(r => (r.Name, r.Version)),
        _ => config.Endpoints.Values.Select(r => (r.Name, r.Version)),
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "xDS: connected to {Address} as {NodeId}")]
        public static partial void Connected(ILogger logger, string address, string nodeId);

        [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "xDS: stream to {Address} ended ({Reason}); serving the last good config and reconnecting")]
        public static partial void StreamEnded(ILogger logger, string address, string reason);

        [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "xDS: rejected {Type} (nonce {Nonce}): {Reason}")]
        public static partial void Rejected(ILogger logger, string type, string nonce, string reason);

        [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "xDS: {Address} does not serve delta xDS; using state of the world")]
        public static partial void DeltaUnsupported(ILogger logger, string address);
    }
}
