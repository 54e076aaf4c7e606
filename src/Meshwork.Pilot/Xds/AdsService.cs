using Envoy.Service.Discovery.V3;
using Grpc.Core;

namespace Meshwork.Pilot.Xds;

/// <summary>envoy.service.discovery.v3.AggregatedDiscoveryService over gRPC: both stream flavours on one server.</summary>
public sealed class AdsService(DiscoveryServer server) : AggregatedDiscoveryService.AggregatedDiscoveryServiceBase
{
    public override Task StreamAggregatedResources(IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext context) =>
        new SotwStream(server, responseStream).RunAsync(requestStream, context.CancellationToken);

    public override Task DeltaAggregatedResources(IAsyncStreamReader<DeltaDiscoveryRequest> requestStream, IServerStreamWriter<DeltaDiscoveryResponse> responseStream, ServerCallContext context) =>
        new DeltaStream(server, responseStream).RunAsync(requestStream, context.CancellationToken);
}
