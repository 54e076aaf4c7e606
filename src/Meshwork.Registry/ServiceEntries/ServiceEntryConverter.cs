using System.Collections.Immutable;
using System.Net;
using Meshwork.Config.Networking;
using Meshwork.Config.Resources;
using Meshwork.Config.Store;
using Meshwork.Config.Validation;
using Meshwork.Config.Validation.Networking;
using Meshwork.Config.Values;
using Meshwork.Registry.Model;

namespace Meshwork.Registry.ServiceEntries;

/// <summary>
/// ServiceEntries, WorkloadEntries and auto-registered workloads onto the registry model, as Istio's
/// serviceentry registry does (conversion.go, controller.go). A pure function of its inputs: no
/// clock, no I/O, the same output for the same input whatever order the input came in.
/// </summary>
public static class ServiceEntryConverter
{
    /// <summary>The config kinds <see cref="Convert"/> reads: a change of no other kind leaves its output as it was.</summary>
    public static IReadOnlySet<string> InputKinds { get; } = new HashSet<string>(StringComparer.Ordinal) { ResourceKinds.ServiceEntry.Kind, ResourceKinds.WorkloadEntry.Kind };

    public static RegistryContent Convert(ConfigSnapshot config, IEnumerable<WorkloadInstance> autoRegistered)
    {
        var workloads = config.OfKind(ResourceKinds.WorkloadEntry)
            .Select(WorkloadEntryConverter.FromResource)
            .Concat(autoRegistered)
            .OrderBy(w => w.Namespace, StringComparer.Ordinal)
            .ThenBy(w => w.Name, StringComparer.Ordinal)
            .ThenBy(w => w.Address, StringComparer.Ordinal)
            .ToImmutableArray();
        var workloadsByNamespace = workloads.GroupBy(w => w.Namespace, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => new NamespaceWorkloads(g), StringComparer.Ordinal);

        // Istio's order: oldest first, so the oldest definition of a host in a namespace wins.
        var entries = config.OfKind(ResourceKinds.ServiceEntry)
            .OrderBy(r => CreationTime(r))
            .ThenBy(r => r.Name, StringComparer.Ordinal)
            .ThenBy(r => r.Namespace, StringComparer.Ordinal);

        var services = new List<(DateTimeOffset Created, MeshService Service)>();
        var defined = new HashSet<ServiceKey>();
        var endpoints = new List<ServiceEndpoint>();
        foreach (var resource in entries)
        {
            var entry = resource.SpecAs<ServiceEntry>();
            var converted = ConvertServices(resource, entry);
            foreach (var service in converted.Where(s => defined.Add(s.Key)))
            {
                services.Add((CreationTime(resource), service));
            }

            // Endpoints of every entry defining a host in a namespace are combined, as Istio keys them by (hostname, namespace).
            endpoints.AddRange(ConvertEndpoints(resource, entry, converted, workloadsByNamespace.GetValueOrDefault(resource.Namespace) ?? NamespaceWorkloads.None));
        }

        return new RegistryContent(
            [.. services.OrderBy(s => s.Created).ThenBy(s => s.Service.Hostname, StringComparer.Ordinal).ThenBy(s => s.Service.Namespace, StringComparer.Ordinal).Select(s => s.Service)],
            [.. endpoints.Order(EndpointOrder.Instance)],
            workloads);
    }

    /// <summary>One service per host, each with the entry's ports, addresses, resolution, location and visibility (Istio's convertServices).</summary>
    public static ImmutableArray<MeshService> ConvertServices(ConfigResource resource, ServiceEntry entry)
    {
        var ports = entry.Ports.Select(p => new MeshServicePort(p.Name, p.Number, PortProtocols.Parse(p.Protocol), p.TargetPort)).ToArray();
        var addresses = entry.Addresses.Select(NormalizeAddress).OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
        var exportTo = ServiceExportTo.Resolve(entry.ExportTo, resource.Namespace);
        return
        [
            .. entry.Hosts.Distinct(StringComparer.Ordinal).Select(host => new MeshService
            {
                Hostname = host,
                Namespace = resource.Namespace,
                Ports = ports,
                Resolution = Resolution(entry.Resolution),
                Location = entry.Location == ServiceEntryLocation.MeshInternal ? ServiceLocation.MeshInternal : ServiceLocation.MeshExternal,
                Addresses = addresses,
                ExportTo = exportTo,
                SubjectAltNames = entry.SubjectAltNames,
                WorkloadSelector = entry.WorkloadSelector?.Labels ?? default,
                DefinedBy = resource.Key,
            }),
        ];
    }

    private static IEnumerable<ServiceEndpoint> ConvertEndpoints(
        ConfigResource resource, ServiceEntry entry, ImmutableArray<MeshService> services, NamespaceWorkloads namespaceWorkloads)
    {
        if (entry.Resolution == ServiceEntryResolution.DynamicDns)
        {
            return []; // the proxy resolves each request's Host or SNI; there is nothing to list.
        }

        var isDns = entry.Resolution is ServiceEntryResolution.Dns or ServiceEntryResolution.DnsRoundRobin;
        IEnumerable<ServiceEndpoint> built;
        if (entry.WorkloadSelector is { } selector)
        {
            var selected = namespaceWorkloads.Candidates(selector.Labels).Where(w =>
                IstioLabels.Selects(selector.Labels, w.Labels)
                && w.Health == WorkloadHealth.Healthy
                && w.Address.Length > 0
                && (isDns || !WorkloadEntryConverter.IsDnsServiceOnly(w))).ToList();
            built = ForEachPort(services, (service, port) => selected.Select(w => EndpointBuilder.FromWorkload(service, port, w)));
        }
        else if (!entry.Endpoints.IsEmpty)
        {
            var inline = entry.Endpoints.Select(e => WorkloadEntryConverter.FromSpec(e, resource.Name, resource.Namespace)).ToList();
            built = ForEachPort(services, (service, port) => inline.Select(w => EndpointBuilder.FromWorkload(service, port, w)));
        }
        else if (isDns)
        {
            built = ForEachPort(services, (service, port) => [EndpointBuilder.FromHostname(service, port)]);
        }
        else
        {
            return []; // NONE and STATIC without endpoints: pass-through, or a service with no endpoints yet.
        }

        if (entry.Resolution == ServiceEntryResolution.DnsRoundRobin)
        {
            // LOGICAL_DNS dials one name: the first endpoint of each port is the one Envoy uses.
            built = built.GroupBy(e => e.Key).Select(g => g.First());
        }

        return built;
    }

    private static IEnumerable<ServiceEndpoint> ForEachPort(ImmutableArray<MeshService> services, Func<MeshService, MeshServicePort, IEnumerable<ServiceEndpoint>> build) =>
        services.SelectMany(service => service.Ports.SelectMany(port => build(service, port)));

    private static ServiceResolution Resolution(ServiceEntryResolution resolution) => resolution switch
    {
        ServiceEntryResolution.Static => ServiceResolution.Static,
        ServiceEntryResolution.Dns => ServiceResolution.Dns,
        ServiceEntryResolution.DnsRoundRobin => ServiceResolution.DnsRoundRobin,
        ServiceEntryResolution.DynamicDns => ServiceResolution.DynamicDns,
        _ => ServiceResolution.None,
    };

    /// <summary>An IP stays; a CIDR stays, except that a single-address prefix becomes the bare IP (as Istio does); anything else is dropped.</summary>
    private static string? NormalizeAddress(string address)
    {
        if (Checks.IsIpAddress(address))
        {
            return address;
        }

        if (IPNetwork.TryParse(address, out var network))
        {
            var bits = network.BaseAddress.GetAddressBytes().Length * 8;
            return network.PrefixLength == bits ? network.BaseAddress.ToString() : address;
        }

        return null;
    }

    /// <summary>Istio sorts by creation time; resources read from files carry none, and compare equal (then by name).</summary>
    private static DateTimeOffset CreationTime(ConfigResource resource) =>
        DateTimeOffset.TryParse(resource.Metadata.CreationTimestamp, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var created)
            ? created
            : DateTimeOffset.MinValue;

    private sealed class EndpointOrder : IComparer<ServiceEndpoint>
    {
        public static EndpointOrder Instance { get; } = new();

        public int Compare(ServiceEndpoint? x, ServiceEndpoint? y)
        {
            if (ReferenceEquals(x, y))
            {
                return 0;
            }

            if (x is null || y is null)
            {
                return x is null ? -1 : 1;
            }

            var c = string.CompareOrdinal(x.Hostname, y.Hostname);
            c = c != 0 ? c : x.ServicePort.CompareTo(y.ServicePort);
            c = c != 0 ? c : string.CompareOrdinal(x.ServiceNamespace, y.ServiceNamespace);
            c = c != 0 ? c : string.CompareOrdinal(x.Address, y.Address);
            c = c != 0 ? c : x.Port.CompareTo(y.Port);
            return c != 0 ? c : string.CompareOrdinal(x.WorkloadName, y.WorkloadName);
        }
    }
}

/// <summary>
/// A namespace's workloads, in order, indexed by each label they carry: a selector's candidates are
/// the workloads with its first label, so matching a thousand ServiceEntries against a thousand
/// workloads is not a million label comparisons on every registration.
/// </summary>
internal sealed class NamespaceWorkloads
{
    private readonly List<WorkloadInstance> _all;
    private readonly Dictionary<(string Key, string Value), List<WorkloadInstance>> _byLabel = [];

    public NamespaceWorkloads(IEnumerable<WorkloadInstance> workloads)
    {
        _all = [.. workloads];
        foreach (var workload in _all)
        {
            foreach (var label in workload.Labels)
            {
                if (!_byLabel.TryGetValue((label.Key, label.Value), out var list))
                {
                    _byLabel[(label.Key, label.Value)] = list = [];
                }

                list.Add(workload);
            }
        }
    }

    public static NamespaceWorkloads None { get; } = new([]);

    /// <summary>The workloads that may match <paramref name="selector"/>, in order: a superset of those it selects.</summary>
    public IReadOnlyList<WorkloadInstance> Candidates(ValueMap<string, string> selector)
    {
        foreach (var label in selector)
        {
            return _byLabel.TryGetValue((label.Key, label.Value), out var list) ? list : [];
        }

        return _all;
    }
}
