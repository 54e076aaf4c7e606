using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Fault.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Pilot.Generators.Routes;
using CorsFilter = Envoy.Extensions.Filters.Http.Cors.V3.Cors;

namespace Meshwork.Pilot.Generators.Listeners;

/// <summary>
/// The HTTP connection manager as Istio builds it (ListenerBuilder.buildHTTPConnectionManager),
/// reduced to what Meshwork's proxies use: auto codec, normalized paths, websocket upgrades, no
/// stream idle timeout, routes from RDS over ADS (or inline), and the HTTP filters fault, cors,
/// router: fault and cors so routes' typed_per_filter_config has a filter to act on, router last.
/// </summary>
internal static class HttpConnectionManagers
{
    public const string FilterName = "envoy.filters.network.http_connection_manager";
    public const string RouterFilter = "envoy.filters.http.router";

    /// <summary>RDS over the same ADS stream, API v3, without waiting for it at startup (Istio's initial_fetch_timeout 0s).</summary>
    public static ConfigSource Ads() => new()
    {
        Ads = new AggregatedConfigSource(),
        InitialFetchTimeout = Duration.FromTimeSpan(TimeSpan.Zero),
        ResourceApiVersion = ApiVersion.V3,
    };

    public static HttpConnectionManager WithRds(string statPrefix, string routeConfigName, bool useRemoteAddress)
    {
        var manager = Base(statPrefix, useRemoteAddress);
        manager.Rds = new Rds { ConfigSource = Ads(), RouteConfigName = routeConfigName };
        return manager;
    }

    public static HttpConnectionManager WithRoutes(string statPrefix, RouteConfiguration routes, bool useRemoteAddress)
    {
        var manager = Base(statPrefix, useRemoteAddress);
        manager.RouteConfig = routes;
        return manager;
    }

    /// <summary>
    /// A sidecar's inbound HCM (Istio's buildSidecarInboundHTTPOpts): inline routes, and the client's
    /// certificate passed to the app in <c>x-forwarded-client-cert</c> (APPEND_FORWARD with Subject,
    /// URI and DNS, Istio's defaults); the proxy sanitizes the header when the connection is not mTLS.
    /// </summary>
    public static HttpConnectionManager Inbound(string statPrefix, RouteConfiguration routes)
    {
        var manager = WithRoutes(statPrefix, routes, useRemoteAddress: false);
        manager.ForwardClientCertDetails = HttpConnectionManager.Types.ForwardClientCertDetails.AppendForward;
        manager.SetCurrentClientCertDetails = new HttpConnectionManager.Types.SetCurrentClientCertDetails { Subject = true, Uri = true, Dns = true };
        return manager;
    }

    /// <summary>
    /// A gateway's HCM (Istio's buildGatewayHTTPFilterChainOpts): the edge never trusts an incoming
    /// XFCC; it sets its own from a client certificate (SANITIZE_SET with Subject, Cert, URI, DNS).
    /// Sidecar outbound managers keep Envoy's default, SANITIZE.
    /// </summary>
    public static HttpConnectionManager Gateway(string statPrefix, string routeConfigName)
    {
        var manager = WithRds(statPrefix, routeConfigName, useRemoteAddress: true);
        manager.ForwardClientCertDetails = HttpConnectionManager.Types.ForwardClientCertDetails.SanitizeSet;
        manager.SetCurrentClientCertDetails = new HttpConnectionManager.Types.SetCurrentClientCertDetails { Subject = true, Cert = true, Uri = true, Dns = true };
        return manager;
    }

    public static Filter AsFilter(HttpConnectionManager manager) => new() { Name = FilterName, TypedConfig = Any.Pack(manager) };

    public static HttpFilter Fault() => new() { Name = FaultAndCorsTranslator.FaultFilter, TypedConfig = Any.Pack(new HTTPFault()) };

    public static HttpFilter Router() => new() { Name = RouterFilter, TypedConfig = Any.Pack(new Router()) };

    private static HttpConnectionManager Base(string statPrefix, bool useRemoteAddress) => new()
    {
        CodecType = HttpConnectionManager.Types.CodecType.Auto,
        StatPrefix = statPrefix,
        HttpFilters =
        {
            Fault(),
            new HttpFilter { Name = FaultAndCorsTranslator.CorsFilterName, TypedConfig = Any.Pack(new CorsFilter()) },
            Router(),
        },
        UseRemoteAddress = useRemoteAddress,
        NormalizePath = true,
        PathWithEscapedSlashesAction = HttpConnectionManager.Types.PathWithEscapedSlashesAction.KeepUnchanged,
        StreamIdleTimeout = Duration.FromTimeSpan(TimeSpan.Zero),
        UpgradeConfigs = { new HttpConnectionManager.Types.UpgradeConfig { UpgradeType = "websocket" } },
    };
}
