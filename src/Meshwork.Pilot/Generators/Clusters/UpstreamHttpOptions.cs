using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Validation.Networking;
using UpstreamHttp = Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions;

namespace Meshwork.Pilot.Generators.Clusters;

/// <summary>
/// The HTTP options a cluster gathers while it is translated (Istio's clusterWrapper): the
/// upstream protocol, connection limits and auto SNI. Written into the cluster once at the end,
/// under <c>typed_extension_protocol_options</c>, and only when something was set.
/// </summary>
internal sealed class UpstreamHttpOptions
{
    public const string ExtensionName = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

    public UpstreamHttp? Options { get; private set; }

    /// <summary>Upstream connections speak HTTP/2 (what Istio's ALPN choice depends on).</summary>
    public bool IsHttp2 => Options?.ExplicitHttpConfig?.Http2ProtocolOptions != null;

    public UpstreamHttp Get() => Options ??= new UpstreamHttp();

    public HttpProtocolOptions Common() => Get().CommonHttpProtocolOptions ??= new HttpProtocolOptions();

    /// <summary>Istio's setUpstreamProtocol: HTTP/2 for HTTP2, gRPC and gRPC-Web ports; a sidecar follows the downstream protocol on ports of unknown protocol (sniffed).</summary>
    public void SetProtocolFor(PortProtocol protocol, bool sidecar)
    {
        if (protocol is PortProtocol.Http2 or PortProtocol.Grpc or PortProtocol.GrpcWeb)
        {
            UseHttp2();
        }
        else if (sidecar && protocol == PortProtocol.Unsupported)
        {
            UseDownstreamProtocol();
        }
    }

    /// <summary>Explicit HTTP/2; like Istio's setH2Options it replaces a downstream-protocol choice made before (an h2 upgrade wins over useClientProtocol).</summary>
    public void UseHttp2() =>
        Get().ExplicitHttpConfig = new UpstreamHttp.Types.ExplicitHttpConfig { Http2ProtocolOptions = new Http2ProtocolOptions() };

    public void UseDownstreamProtocol() =>
        Get().UseDownstreamProtocolConfig = new UpstreamHttp.Types.UseDownstreamHttpConfig
        {
            HttpProtocolOptions = new Http1ProtocolOptions(),
            Http2ProtocolOptions = new Http2ProtocolOptions(),
        };

    /// <summary>Envoy requires an upstream protocol once the options exist; HTTP/1.1 is the default.</summary>
    public void WriteTo(Cluster cluster)
    {
        if (Options == null)
        {
            return;
        }

        if (Options.UpstreamProtocolOptionsCase == UpstreamHttp.UpstreamProtocolOptionsOneofCase.None)
        {
            Options.ExplicitHttpConfig = new UpstreamHttp.Types.ExplicitHttpConfig { HttpProtocolOptions = new Http1ProtocolOptions() };
        }

        cluster.TypedExtensionProtocolOptions[ExtensionName] = Any.Pack(Options);
    }
}
