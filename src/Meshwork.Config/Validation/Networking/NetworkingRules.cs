namespace Meshwork.Config.Validation.Networking;

/// <summary>The validation rules for Networking resources, in the order they run.</summary>
public static class NetworkingRules
{
    public static IReadOnlyList<IValidationRule> All { get; } =
    [
        // VirtualService
        new VirtualServiceShapeRule(),
        new VirtualServiceHostsRule(),
        new VirtualServiceGatewaysRule(),
        new HttpRouteActionRule(),
        new HttpMatchRule(),
        new HttpHeadersRule(),
        new CorsPolicyRule(),
        new FaultInjectionRule(),
        new MirrorRule(),
        new HttpRedirectRule(),
        new HttpDirectResponseRule(),
        new HttpRetryRule(),
        new HttpRewriteRule(),
        new RouteDestinationRule(),
        new HttpTimeoutRule(),
        new TlsRouteRule(),
        new TcpRouteRule(),
        new VirtualServiceExportToRule(),
        new UnreachableRouteRule(),
        new VirtualServiceDeprecationRule(),
    ];
}
