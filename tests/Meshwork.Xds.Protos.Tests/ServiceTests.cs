using Envoy.Service.Discovery.V3;
using Istio.V1.Auth;

namespace Meshwork.Xds.Protos.Tests;

// The gRPC path is what a client dials; a wrong package or service name fails only at run time.
public class ServiceTests
{
    [Fact]
    public void AggregatedDiscoveryService_ServerAndClientTypes_Exist()
    {
        Assert.True(typeof(AggregatedDiscoveryService.AggregatedDiscoveryServiceBase).IsAbstract);
        Assert.NotNull(typeof(AggregatedDiscoveryService.AggregatedDiscoveryServiceClient).GetConstructor([typeof(Grpc.Core.ChannelBase)]));
    }

    [Fact]
    public void AggregatedDiscoveryService_Methods_AreBidiStreamsOnEnvoysPaths()
    {
        var service = AggregatedDiscoveryService.Descriptor;

        Assert.Equal("envoy.service.discovery.v3.AggregatedDiscoveryService", service.FullName);
        var sotw = service.FindMethodByName("StreamAggregatedResources");
        Assert.True(sotw.IsClientStreaming && sotw.IsServerStreaming);
        Assert.Equal(DiscoveryRequest.Descriptor, sotw.InputType);
        Assert.Equal(DiscoveryResponse.Descriptor, sotw.OutputType);
        var delta = service.FindMethodByName("DeltaAggregatedResources");
        Assert.True(delta.IsClientStreaming && delta.IsServerStreaming);
        Assert.Equal(DeltaDiscoveryRequest.Descriptor, delta.InputType);
        Assert.Equal(DeltaDiscoveryResponse.Descriptor, delta.OutputType);
    }

    [Fact]
    public void IstioCertificateService_CreateCertificate_IsUnaryOnIstiosPath()
    {
        var service = IstioCertificateService.Descriptor;
        var method = service.FindMethodByName("CreateCertificate");

        Assert.Equal("istio.v1.auth.IstioCertificateService", service.FullName);
        Assert.False(method.IsClientStreaming || method.IsServerStreaming);
        Assert.True(typeof(IstioCertificateService.IstioCertificateServiceBase).IsAbstract);
    }
}
