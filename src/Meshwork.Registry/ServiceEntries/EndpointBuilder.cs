using Meshwork.Registry.Model;

namespace Meshwork.Registry.ServiceEntries;

/// <summary>One workload serving one port of one service becomes one endpoint (Istio's convertEndpoint and convertWorkloadInstanceToServiceInstance). Pure.</summary>
public static class EndpointBuilder
{
    /// <summary>
    /// The port to dial, in Istio's order: none for a unix socket, else the workload's port of the
    /// same name, else the service port's <c>targetPort</c>, else the service port number.
    /// </summary>
    public static uint EndpointPort(MeshServicePort servicePort, WorkloadInstance workload)
    {
        if (workload.IsUnixSocket)
        {
            return 0;
        }

        if (workload.Ports.TryGetValue(servicePort.Name, out var port) && port > 0)
        {
            return port;
        }

        return servicePort.TargetPort > 0 ? servicePort.TargetPort : servicePort.Number;
    }

    public static ServiceEndpoint FromWorkload(MeshService service, MeshServicePort servicePort, WorkloadInstance workload) => new()
    {
        Hostname = service.Hostname,
        ServiceNamespace = service.Namespace,
        ServicePort = servicePort.Number,
        ServicePortName = servicePort.Name,
        Address = workload.Address,
        Port = EndpointPort(servicePort, workload),
        Labels = IstioLabels.WithTopology(workload.Labels, workload.Locality, workload.Network),
        Locality = workload.Locality,
        Weight = workload.Weight == 0 ? 1 : workload.Weight,
        Network = workload.Network,
        ServiceAccount = workload.ServiceAccount,
        TlsMode = workload.TlsMode,
        Health = workload.Health,
        WorkloadName = workload.Name,
        WorkloadNamespace = workload.Namespace,
    };

    /// <summary>
    /// A DNS-resolved ServiceEntry with neither endpoints nor a selector: the proxy resolves the host
    /// itself, so the host is the one endpoint (no labels, no mTLS), on <c>targetPort</c> or the port number.
    /// </summary>
    public static ServiceEndpoint FromHostname(MeshService service, MeshServicePort servicePort) => new()
    {
        Hostname = service.Hostname,
        ServiceNamespace = service.Namespace,
        ServicePort = servicePort.Number,
        ServicePortName = servicePort.Name,
        Address = service.Hostname,
        Port = servicePort.TargetPort > 0 ? servicePort.TargetPort : servicePort.Number,
        TlsMode = EndpointTlsMode.Disabled,
        WorkloadNamespace = service.Namespace,
    };
}
