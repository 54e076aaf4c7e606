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

        // Gateway, ServiceEntry, WorkloadEntry, WorkloadGroup
        new GatewayServersRule(),
        new GatewaySelectorRule(),
        new GatewayServerHostsRule(),
        new GatewayServerPortRule(),
        new GatewayServerTlsRule(),
        new ServiceEntryHostsRule(),
        new ServiceEntryAddressesRule(),
        new ServiceEntryPortsRule(),
        new ServiceEntryEndpointsRule(),
        new ServiceEntryExportToRule(),
        new WorkloadEntryRule(),
        new WorkloadGroupTemplateRule(),
        new WorkloadGroupProbeRule(),

        // DestinationRule and Sidecar
        new DestinationRuleHostRule(),
        new TrafficPolicyShapeRule(),
        new TrafficPolicyOutlierDetectionRule(),
        new TrafficPolicyConnectionPoolRule(),
        new TrafficPolicyLoadBalancerRule(),
        new TrafficPolicyLocalityRule(),
        new TrafficPolicyTlsRule(),
        new TrafficPolicyTunnelRule(),
        new TrafficPolicyRetryBudgetRule(),
        new DestinationRuleSubsetRule(),
        new DestinationRuleExportToRule(),
        new DestinationRuleWorkloadSelectorRule(),
        new SidecarWorkloadSelectorRule(),
        new SidecarIngressRule(),
        new SidecarIngressTlsRule(),
        new SidecarConnectionPoolRule(),
        new SidecarEgressRule(),
        new SidecarOutboundTrafficPolicyRule(),
    ];
}
