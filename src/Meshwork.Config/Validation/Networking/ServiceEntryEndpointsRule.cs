using Meshwork.Config.Binding;
using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Istio's ValidateServiceEntry, resolution part: the workload selector (exclusive with endpoints)
/// and what each resolution mode asks of the endpoints — none for NONE, IPs or unix sockets for
/// STATIC, DNS names or IPs for DNS (hosts must then be FQDNs when there are no endpoints), at most one
/// for DNS_ROUND_ROBIN, and wildcard hosts with no endpoints for DYNAMIC_DNS.
/// </summary>
public sealed class ServiceEntryEndpointsRule : SpecRule<ServiceEntry>
{
    protected override void Check(ServiceEntry spec, RuleContext context)
    {
        CheckSelector(spec, context);
        var servicePorts = spec.Ports.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var mode = WireNames.Of(spec.Resolution);
        switch (spec.Resolution)
        {
            case ServiceEntryResolution.None:
                if (!spec.Endpoints.IsEmpty)
                {
                    context.Error("spec.endpoints", "no endpoints should be provided for resolution type NONE");
                }

                if (spec.WorkloadSelector != null)
                {
                    context.Warning("spec.workloadSelector", "workloadSelector should not be set when resolution mode is NONE");
                }

                break;

            case ServiceEntryResolution.Static:
                for (var i = 0; i < spec.Endpoints.Count; i++)
                {
                    WorkloadEntryChecks.Check(spec.Endpoints[i], $"spec.endpoints[{i}]", servicePorts, allowFqdn: false, context);
                }

                break;

            case ServiceEntryResolution.Dns or ServiceEntryResolution.DnsRoundRobin:
                CheckDns(spec, servicePorts, mode, context);
                break;

            case ServiceEntryResolution.DynamicDns:
                CheckDynamicDns(spec, context);
                break;
        }
    }

    private static void CheckSelector(ServiceEntry spec, RuleContext context)
    {
        if (spec.WorkloadSelector is not { } selector)
        {
            return;
        }

        foreach (var (key, value) in selector.Labels)
        {
            if (key.Length == 0)
            {
                context.Error($"spec.workloadSelector.labels[{key}]", $"empty key is not supported in selector: \"{key}={value}\"");
            }

            if (key.Contains('*', StringComparison.Ordinal) || value.Contains('*', StringComparison.Ordinal))
            {
                context.Error($"spec.workloadSelector.labels[{key}]", $"wildcard is not supported in selector: \"{key}={value}\"");
            }
        }

        if (selector.Labels.IsEmpty)
        {
            context.Warning("spec.workloadSelector", "workload selector specified without labels, will be applied to all services in namespace");
        }

        if (!spec.Endpoints.IsEmpty)
        {
            context.Error("spec.workloadSelector", "only one of workloadSelector or endpoints is allowed in a service entry");
        }
    }

    private static void CheckDns(ServiceEntry spec, HashSet<string> servicePorts, string mode, RuleContext context)
    {
        if (spec.Endpoints.IsEmpty)
        {
            // The proxy resolves the hosts themselves, so they must be resolvable names.
            for (var i = 0; i < spec.Hosts.Count; i++)
            {
                if (Checks.Fqdn(spec.Hosts[i]) != null)
                {
                    context.Error($"spec.hosts[{i}]", $"hosts must be FQDN if no endpoints are provided for resolution mode {mode}, got \"{spec.Hosts[i]}\"");
                }
            }
        }

        if (spec.Resolution == ServiceEntryResolution.DnsRoundRobin && spec.Endpoints.Count > 1)
        {
            context.Error("spec.endpoints", $"there must only be 0 or 1 endpoint for resolution mode {mode}, got {spec.Endpoints.Count}");
        }

        for (var i = 0; i < spec.Endpoints.Count; i++)
        {
            var endpoint = spec.Endpoints[i];
            var path = $"spec.endpoints[{i}]";
            if (!Checks.IsIpAddress(endpoint.Address) && Checks.Fqdn(endpoint.Address) != null)
            {
                context.Error($"{path}.address", $"endpoint address \"{endpoint.Address}\" is not a valid FQDN or an IP address");
            }

            WorkloadEntryChecks.CheckLabels(endpoint, path, context);
            WorkloadEntryChecks.CheckPorts(endpoint, path, servicePorts, context);
        }

        if (spec.Addresses.IsEmpty || spec.Hosts.Count <= 1)
        {
            return;
        }

        // A VIP with a TCP port routes by address alone: every host but one is unreachable.
        for (var i = 0; i < spec.Ports.Count; i++)
        {
            if (PortProtocols.Parse(spec.Ports[i].Protocol).IsTcp())
            {
                context.Warning("spec.hosts", "service entry can not have more than one host specified simultaneously with address and tcp port");
                break;
            }
        }
    }

    /// <summary>
    /// DYNAMIC_DNS, from the API's contract (the proxy resolves the Host header or SNI of each request):
    /// hosts must be wildcards; endpoints and a workload selector are ignored; only HTTP and TLS ports
    /// carry a name to resolve.
    /// </summary>
    private static void CheckDynamicDns(ServiceEntry spec, RuleContext context)
    {
        for (var i = 0; i < spec.Hosts.Count; i++)
        {
            if (!spec.Hosts[i].StartsWith('*'))
            {
                context.Error($"spec.hosts[{i}]", $"resolution DYNAMIC_DNS requires wildcard hosts (such as *.example.com), got \"{spec.Hosts[i]}\"");
            }
        }

        if (!spec.Endpoints.IsEmpty)
        {
            context.Warning("spec.endpoints", "endpoints are ignored with resolution DYNAMIC_DNS");
        }

        if (spec.WorkloadSelector != null)
        {
            context.Warning("spec.workloadSelector", "workloadSelector is ignored with resolution DYNAMIC_DNS");
        }

        for (var i = 0; i < spec.Ports.Count; i++)
        {
            var protocol = PortProtocols.Parse(spec.Ports[i].Protocol);
            if (!protocol.IsHttp() && !protocol.IsTls())
            {
                var shown = spec.Ports[i].Protocol.Length == 0 ? "unset" : spec.Ports[i].Protocol;
                context.Warning($"spec.ports[{i}].protocol", $"resolution DYNAMIC_DNS needs an HTTP Host or TLS SNI to resolve, protocol {shown} carries neither");
            }
        }
    }
}
