using System.Globalization;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Values;
using Meshwork.Registry.ServiceEntries;
using EnvoyLocality = Envoy.Config.Core.V3.Locality;

namespace Meshwork.Pilot.Model;

/// <summary>What kind of proxy connected: a sidecar, a gateway (<c>router</c>), or a proxyless gRPC client.</summary>
public enum ProxyType
{
    Sidecar,
    Router,
}

/// <summary>A port the workload serves, as the proxy announced it (Istio's POD_PORTS).</summary>
public sealed record NamedPort(string Name, uint Port, string Protocol);

/// <summary>
/// A connected proxy as Pilot sees it, parsed from its xDS node: Istio's node id
/// (<c>sidecar~IP~NAME.NS~NS.svc.cluster.local</c>) and node metadata (NAMESPACE, LABELS,
/// SERVICE_ACCOUNT, INSTANCE_IPS, WORKLOAD_NAME, POD_PORTS, GENERATOR, NETWORK) and its locality.
/// </summary>
public sealed record ProxyNode
{
    public required string Id { get; init; }

    public required ProxyType Type { get; init; }

    /// <summary>The pod (or workload instance) name: the node id's third part without the namespace.</summary>
    public required string Name { get; init; }

    public required string Namespace { get; init; }

    /// <summary>The workload's addresses; the first is its primary IP.</summary>
    public required ValueList<string> IpAddresses { get; init; }

    public string DnsDomain { get; init; } = string.Empty;

    public ValueMap<string, string> Labels { get; init; }

    public string ServiceAccount { get; init; } = string.Empty;

    public string WorkloadName { get; init; } = string.Empty;

    public ValueList<NamedPort> Ports { get; init; }

    /// <summary><c>grpc</c> for proxyless gRPC clients (Istio's GENERATOR metadata).</summary>
    public string Generator { get; init; } = string.Empty;

    public string ClusterId { get; init; } = string.Empty;

    /// <summary>Where the workload runs (Istio's proxy.Locality), what locality load balancing ranks endpoints against; see <see cref="LocalityOf"/>.</summary>
    public WorkloadLocality Locality { get; init; } = WorkloadLocality.Empty;

    /// <summary>The workload's network (NETWORK metadata); empty for the default one.</summary>
    public string Network { get; init; } = string.Empty;

    /// <summary>
    /// The labels plus Istio's topology labels for the proxy's locality and network (the labels
    /// Istio's AugmentLabels gives proxy.Labels), which failoverPriority compares with endpoints'.
    /// </summary>
    public ValueMap<string, string> TopologyLabels => IstioLabels.WithTopology(Labels, $"{Locality.Region}/{Locality.Zone}/{Locality.SubZone}", Network);

    public string IpAddress => IpAddresses.Count > 0 ? IpAddresses[0] : string.Empty;

    public bool IsProxylessGrpc => Generator == "grpc";

    /// <summary>The workload this proxy stands for, for auto-registration in the service registry.</summary>
    public Registry.AutoRegistration.ProxyRegistration ToRegistration() => new()
    {
        Name = Name,
        Namespace = Namespace,
        Address = IpAddress,
        Labels = Labels,
        Ports = new ValueMap<string, uint>(Ports.GroupBy(p => p.Name, StringComparer.Ordinal).Select(g => KeyValuePair.Create(g.Key, g.First().Port))),
        ServiceAccount = ServiceAccount,
        Network = Network,
        Locality = Locality.ToString(),
    };

    /// <summary>Parses an xDS node: its id, metadata and locality.</summary>
    public static ProxyNode? Parse(Envoy.Config.Core.V3.Node node, out string? error) => Parse(node.Id, node.Metadata, node.Locality, out error);

    /// <summary>Istio's ParseServiceNodeWithMetadata. Returns null and a reason when the id is malformed.</summary>
    public static ProxyNode? Parse(string id, Struct? metadata, out string? error) => Parse(id, metadata, null, out error);

    /// <summary>
    /// Istio's setTopologyLabels, for a workload whose registry labels are the ones it announced: the
    /// topology labels (<c>topology.kubernetes.io/region</c>, <c>/zone</c>,
    /// <c>topology.istio.io/subzone</c>) when any is present, else the locality label
    /// (<c>istio-locality</c>, dots for slashes), else the locality the xDS node reports.
    /// </summary>
    public static WorkloadLocality LocalityOf(ValueMap<string, string> labels, EnvoyLocality? nodeLocality)
    {
        if (labels.ContainsKey(IstioLabels.TopologyRegion) || labels.ContainsKey(IstioLabels.TopologyZone) || labels.ContainsKey(IstioLabels.TopologySubzone))
        {
            return new WorkloadLocality(
                labels.GetValueOrDefault(IstioLabels.TopologyRegion, string.Empty),
                labels.GetValueOrDefault(IstioLabels.TopologyZone, string.Empty),
                labels.GetValueOrDefault(IstioLabels.TopologySubzone, string.Empty));
        }

        var label = IstioLabels.LocalityOf(string.Empty, labels);
        return label.Length > 0 ? WorkloadLocality.Parse(label) : WorkloadLocality.From(nodeLocality);
    }

    /// <summary>Istio's ParseServiceNodeWithMetadata plus the node's locality. Returns null and a reason when the id is malformed.</summary>
    public static ProxyNode? Parse(string id, Struct? metadata, EnvoyLocality? locality, out string? error)
    {
        error = null;
        var parts = id.Split('~');
        if (parts.Length != 4)
        {
            error = $"missing parts in the node id \"{id}\": expected TYPE~IP~NAME.NAMESPACE~DOMAIN";
            return null;
        }

        ProxyType type;
        switch (parts[0])
        {
            case "sidecar":
                type = ProxyType.Sidecar;
                break;
            case "router":
                type = ProxyType.Router;
                break;
            default:
                error = $"invalid node type \"{parts[0]}\" in the node id \"{id}\": expected sidecar or router";
                return null;
        }

        var fields = metadata?.Fields;
        var ips = StringList(fields, "INSTANCE_IPS");
        if (ips.Count == 0)
        {
            ips = parts[1].Length > 0 ? [parts[1]] : [];
        }

        var ns = String(fields, "NAMESPACE");
        var name = parts[2];
        var dot = parts[2].IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            name = parts[2][..dot];
            if (ns.Length == 0)
            {
                ns = parts[2][(dot + 1)..];
            }
        }

        if (ns.Length == 0)
        {
            var domain = parts[3].Split('.');
            ns = domain.Length > 0 ? domain[0] : string.Empty;
        }

        if (ns.Length == 0)
        {
            error = $"no namespace in the node id \"{id}\" or its NAMESPACE metadata";
            return null;
        }

        var labels = StringMap(fields, "LABELS");
        return new ProxyNode
        {
            Id = id,
            Type = type,
            Name = name,
            Namespace = ns,
            IpAddresses = new ValueList<string>(ips),
            DnsDomain = parts[3],
            Labels = labels,
            ServiceAccount = String(fields, "SERVICE_ACCOUNT"),
            WorkloadName = String(fields, "WORKLOAD_NAME"),
            Ports = PodPorts(fields),
            Generator = String(fields, "GENERATOR"),
            ClusterId = String(fields, "CLUSTER_ID"),
            Locality = LocalityOf(labels, locality),
            Network = String(fields, "NETWORK"),
        };
    }

    private static string String(IDictionary<string, Value>? fields, string key) =>
        fields != null && fields.TryGetValue(key, out var value) && value.KindCase == Value.KindOneofCase.StringValue ? value.StringValue : string.Empty;

    /// <summary>INSTANCE_IPS is a comma-separated string in Istio; a list is accepted too.</summary>
    private static List<string> StringList(IDictionary<string, Value>? fields, string key)
    {
        if (fields == null || !fields.TryGetValue(key, out var value))
        {
            return [];
        }

        return value.KindCase switch
        {
            Value.KindOneofCase.StringValue => value.StringValue.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
            Value.KindOneofCase.ListValue => value.ListValue.Values.Where(v => v.KindCase == Value.KindOneofCase.StringValue).Select(v => v.StringValue).ToList(),
            _ => [],
        };
    }

    private static ValueMap<string, string> StringMap(IDictionary<string, Value>? fields, string key)
    {
        if (fields == null || !fields.TryGetValue(key, out var value) || value.KindCase != Value.KindOneofCase.StructValue)
        {
            return ValueMap<string, string>.Empty;
        }

        return new ValueMap<string, string>(value.StructValue.Fields
            .Where(f => f.Value.KindCase == Value.KindOneofCase.StringValue)
            .OrderBy(f => f.Key, StringComparer.Ordinal)
            .Select(f => KeyValuePair.Create(f.Key, f.Value.StringValue)));
    }

    /// <summary>POD_PORTS: Istio sends a JSON string of <c>[{"name":"http","containerPort":9080,"protocol":"TCP"}]</c>.</summary>
    private static ValueList<NamedPort> PodPorts(IDictionary<string, Value>? fields)
    {
        var text = String(fields, "POD_PORTS");
        if (text.Length == 0)
        {
            return ValueList<NamedPort>.Empty;
        }

        try
        {
            using var json = JsonDocument.Parse(text);
            if (json.RootElement.ValueKind != JsonValueKind.Array)
            {
                return ValueList<NamedPort>.Empty;
            }

            var ports = new List<NamedPort>();
            foreach (var item in json.RootElement.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("containerPort", out var port) && port.TryGetUInt32(out var number))
                {
                    var name = item.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : number.ToString(CultureInfo.InvariantCulture);
                    var protocol = item.TryGetProperty("protocol", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "TCP";
                    ports.Add(new NamedPort(name, number, protocol));
                }
            }

            return new ValueList<NamedPort>(ports);
        }
        catch (JsonException)
        {
            return ValueList<NamedPort>.Empty;
        }
    }
}
