using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Meshwork.Registry.Model;

/// <summary>What an adapter produced: services, their endpoints and the workloads it knows, in a stable order.</summary>
public sealed record RegistryContent(
    ImmutableArray<MeshService> Services,
    ImmutableArray<ServiceEndpoint> Endpoints,
    ImmutableArray<WorkloadInstance> Workloads)
{
    public static RegistryContent Empty { get; } = new([], [], []);
}

/// <summary>
/// One consistent view of the registry: services and endpoints with the indexes translation needs.
/// A plain immutable value (no locks, no live state), swapped whole by <see cref="Publishing.MeshRegistry"/>.
/// </summary>
public sealed class RegistrySnapshot
{
    private readonly FrozenDictionary<string, ImmutableArray<MeshService>> _servicesByHostname;
    private readonly FrozenDictionary<ServiceKey, MeshService> _servicesByKey;
    private readonly FrozenDictionary<EndpointKey, ImmutableArray<ServiceEndpoint>> _endpointsByKey;
    private readonly FrozenDictionary<string, ImmutableArray<ServiceEndpoint>> _endpointsByAddress;

    private RegistrySnapshot(long version, RegistryContent content)
    {
        Version = version;
        Services = content.Services;
        Endpoints = content.Endpoints;
        Workloads = content.Workloads;
        _servicesByHostname = content.Services
            .GroupBy(s => s.Hostname, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.ToImmutableArray(), StringComparer.Ordinal);
        _servicesByKey = content.Services.ToFrozenDictionary(s => s.Key);
        _endpointsByKey = content.Endpoints
            .GroupBy(e => e.Key)
            .ToFrozenDictionary(g => g.Key, g => g.ToImmutableArray());
        _endpointsByAddress = content.Endpoints
            .GroupBy(e => e.Address, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.ToImmutableArray(), StringComparer.Ordinal);
    }

    public static RegistrySnapshot Empty { get; } = new(0, RegistryContent.Empty);

    /// <summary>Grows by one with every publication that changed something.</summary>
    public long Version { get; }

    /// <summary>Every service definition, oldest first (Istio's order: creation time, hostname, namespace).</summary>
    public ImmutableArray<MeshService> Services { get; }

    public ImmutableArray<ServiceEndpoint> Endpoints { get; }

    public ImmutableArray<WorkloadInstance> Workloads { get; }

    public IEnumerable<string> Hostnames => _servicesByHostname.Keys;

    /// <summary>Indexes <paramref name="content"/>; services with a duplicate (namespace, hostname) must already be merged.</summary>
    public static RegistrySnapshot Create(long version, RegistryContent content) => new(version, content);

    /// <summary>Every definition of <paramref name="hostname"/>, one per namespace, oldest first.</summary>
    public ImmutableArray<MeshService> ServicesFor(string hostname) => _servicesByHostname.GetValueOrDefault(hostname, []);

    public MeshService? Service(string @namespace, string hostname) => _servicesByKey.GetValueOrDefault(new ServiceKey(@namespace, hostname));

    /// <summary>The endpoints of one service port, over every namespace that defines the hostname.</summary>
    public ImmutableArray<ServiceEndpoint> EndpointsFor(string hostname, uint port) => _endpointsByKey.GetValueOrDefault(new EndpointKey(hostname, port), []);

    /// <summary>The endpoints of one service port of one definition of the hostname.</summary>
    public ImmutableArray<ServiceEndpoint> EndpointsFor(ServiceKey service, uint port) =>
        [.. EndpointsFor(service.Hostname, port).Where(e => e.ServiceNamespace == service.Namespace)];

    /// <summary>
    /// The service ports a workload at <paramref name="address"/> serves, for its inbound config (Istio's
    /// GetProxyServiceTargets): only services of the workload's own namespace count.
    /// </summary>
    public ImmutableArray<ServiceEndpoint> EndpointsAt(string address, string @namespace) =>
        [.. _endpointsByAddress.GetValueOrDefault(address, []).Where(e => e.ServiceNamespace == @namespace)];

    internal ImmutableArray<ServiceEndpoint> EndpointsFor(EndpointKey key) => _endpointsByKey.GetValueOrDefault(key, []);

    internal IEnumerable<EndpointKey> EndpointKeys => _endpointsByKey.Keys;

    public override string ToString() => $"registry v{Version}: {Services.Length} services, {Endpoints.Length} endpoints";
}
