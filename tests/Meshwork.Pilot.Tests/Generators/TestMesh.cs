using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Meshwork.Config.Mesh;
using Meshwork.Config.Store;
using Meshwork.Config.Validation;
using Meshwork.Config.Values;
using Meshwork.Pilot.Generators;
using Meshwork.Pilot.Model;
using Meshwork.Registry.Model;
using Meshwork.Registry.ServiceEntries;

namespace Meshwork.Pilot.Tests.Generators;

/// <summary>Builds a snapshot from Istio YAML and proxies (which also register as workloads), for focused generator tests.</summary>
internal static class TestMesh
{
    public static MeshSnapshot Snapshot(string yaml, IEnumerable<ProxyNode> proxies, MeshConfig? mesh = null)
    {
        var input = ConfigValidator.ValidateText(yaml, "test.yaml");
        Assert.True(input.IsValid, string.Join("\n", input.Errors));
        var config = new ConfigStore();
        config.ReplaceSource("test", input.Valid);
        var workloads = proxies.Select(p => p.ToRegistration().ToWorkload(WorkloadHealth.Healthy));
        var registry = RegistrySnapshot.Create(1, ServiceEntryConverter.Convert(config.Current, workloads));
        return new MeshSnapshot(1, mesh ?? MeshConfig.Default, config.Current, registry);
    }

    public static ProxyNode Proxy(
        string name,
        string ns,
        string ip,
        string labels = "",
        string serviceAccount = "",
        ProxyType type = ProxyType.Sidecar,
        string generator = "",
        params (string Name, uint Port)[] ports) => new()
        {
            Id = $"{(type == ProxyType.Sidecar ? "sidecar" : "router")}~{ip}~{name}.{ns}~{ns}.svc.cluster.local",
            Type = type,
            Name = name,
            Namespace = ns,
            IpAddresses = ValueList.Of(ip),
            Labels = new ValueMap<string, string>(labels.Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split('='))
                .Select(kv => KeyValuePair.Create(kv[0], kv[1]))),
            ServiceAccount = serviceAccount,
            Generator = generator,
            Ports = new ValueList<NamedPort>(ports.Select(p => new NamedPort(p.Name, p.Port, "TCP"))),
        };

    public static Dictionary<string, Cluster> Clusters(IReadOnlyList<GeneratedResource> resources) =>
        resources.ToDictionary(r => r.Name, r => r.Resource.Unpack<Cluster>());

    public static Dictionary<string, ClusterLoadAssignment> Assignments(IReadOnlyList<GeneratedResource> resources) =>
        resources.ToDictionary(r => r.Name, r => r.Resource.Unpack<ClusterLoadAssignment>());

    /// <summary>A STATIC ServiceEntry selecting workloads with <c>app=NAME</c>, one port, followed by a document separator.</summary>
    public static string Service(string name, string ns, uint port = 80, string protocol = "HTTP") => $$"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: {{name}}, namespace: {{ns}}}
        spec:
          hosts: [{{name}}.{{ns}}.svc.cluster.local]
          location: MESH_INTERNAL
          ports:
          - {number: {{port}}, name: p{{port}}, protocol: {{protocol}}}
          resolution: STATIC
          workloadSelector:
            labels: {app: {{name}}}
        ---

        """;
}
