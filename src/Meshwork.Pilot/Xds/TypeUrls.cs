namespace Meshwork.Pilot.Xds;

/// <summary>Envoy v3 type URLs; every <c>Any</c> in a response carries the same one as the response.</summary>
public static class TypeUrls
{
    public const string Listener = "type.googleapis.com/envoy.config.listener.v3.Listener";
    public const string Route = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
    public const string Cluster = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    public const string Endpoint = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
    public const string Secret = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";

    /// <summary>Short names as Istio prints them (CDS, LDS, ...).</summary>
    public static string Short(string typeUrl) => typeUrl switch
    {
        Listener => "LDS",
        Route => "RDS",
        Cluster => "CDS",
        Endpoint => "EDS",
        Secret => "SDS",
        _ => typeUrl[(typeUrl.LastIndexOf('.') + 1)..],
    };

    /// <summary>LDS and CDS are "state of the world" for the whole proxy: an empty first request asks for everything.</summary>
    public static bool IsWildcardType(string typeUrl) => typeUrl is Listener or Cluster;
}
