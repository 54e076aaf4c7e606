using Meshwork.Config.Values;
using Meshwork.Registry.Model;
using Meshwork.Registry.ServiceEntries;

namespace Meshwork.Registry.AutoRegistration;

/// <summary>
/// What a connecting proxy says about its workload (read by Pilot from the xDS node: its id,
/// metadata and labels). Plain data, so the registry knows nothing of protobuf.
/// </summary>
public sealed record ProxyRegistration
{
    public required string Name { get; init; }

    public required string Namespace { get; init; }

    /// <summary>The workload's IP (in local mode its own loopback address).</summary>
    public required string Address { get; init; }

    public ValueMap<string, string> Labels { get; init; }

    /// <summary>Service port name → the port the application listens on.</summary>
    public ValueMap<string, uint> Ports { get; init; }

    public string ServiceAccount { get; init; } = string.Empty;

    public string Network { get; init; } = string.Empty;

    public string Locality { get; init; } = string.Empty;

    public uint Weight { get; init; }

    public WorkloadKey Key => new(Namespace, Name, Address);

    /// <summary>
    /// The workload it stands for. A registered proxy is a sidecar, so its traffic is Istio mTLS
    /// unless its own <c>security.istio.io/tlsMode</c> label says otherwise.
    /// </summary>
    public WorkloadInstance ToWorkload(WorkloadHealth health) => new()
    {
        Name = Name,
        Namespace = Namespace,
        Address = Address,
        Labels = Labels,
        Ports = Ports,
        ServiceAccount = ServiceAccount,
        Network = Network,
        Locality = IstioLabels.LocalityOf(Locality, Labels),
        Weight = Weight == 0 ? 1 : Weight,
        TlsMode = Labels.TryGetValue(IstioLabels.TlsMode, out var mode) && mode != IstioLabels.TlsModeIstio ? EndpointTlsMode.Disabled : EndpointTlsMode.Istio,
        Health = health,
        Source = WorkloadSource.AutoRegistered,
    };
}

/// <summary>Options of <see cref="WorkloadRegistry"/>.</summary>
public sealed record WorkloadRegistryOptions
{
    /// <summary>
    /// How long a workload whose last connection dropped stays registered, so a proxy that reconnects
    /// (a meshd restart, a network blip) causes no endpoint churn. Istio's
    /// <c>PILOT_WORKLOAD_ENTRY_GRACE_PERIOD</c> defaults to 10 s.
    /// </summary>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromSeconds(10);
}
