using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Mesh;
using Meshwork.Config.Store;
using Meshwork.Config.Validation;
using Meshwork.Pilot.Model;
using Meshwork.Registry.Model;
using Meshwork.Registry.ServiceEntries;

namespace Meshwork.Pilot.Tests.Generators;

/// <summary>A snapshot built from inline Istio YAML and proxies, for focused tests (golden cases use files).</summary>
internal static class RouteTestMesh
{
    public static MeshSnapshot Snapshot(string yaml, IEnumerable<ProxyNode> workloads, MeshConfig? mesh = null)
    {
        var input = ConfigValidator.ValidateText(yaml, "test.yaml");
        Assert.True(input.IsValid, string.Join("\n", input.Errors));
        var config = new ConfigStore();
        config.ReplaceSource("test", input.Valid);
        var registry = RegistrySnapshot.Create(1, ServiceEntryConverter.Convert(config.Current, workloads.Select(w => w.ToRegistration().ToWorkload(WorkloadHealth.Healthy))));
        return new MeshSnapshot(1, mesh ?? MeshConfig.Default, config.Current, registry);
    }

    public static ProxyNode Proxy(string name, string ip, string labels, string ns = "default", string ports = "http=9080", string type = "sidecar", string generator = "")
    {
        var metadata = new Struct();
        metadata.Fields["NAMESPACE"] = Value.ForString(ns);
        metadata.Fields["GENERATOR"] = Value.ForString(generator);
        var labelStruct = new Struct();
        foreach (var pair in labels.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=');
            labelStruct.Fields[kv[0]] = Value.ForString(kv[1]);
        }

        metadata.Fields["LABELS"] = Value.ForStruct(labelStruct);
        var podPorts = ports.Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('='))
            .Select(p => new { name = p[0], containerPort = uint.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture), protocol = "TCP" });
        metadata.Fields["POD_PORTS"] = Value.ForString(JsonSerializer.Serialize(podPorts));
        return ProxyNode.Parse($"{type}~{ip}~{name}.{ns}~{ns}.svc.cluster.local", metadata, out _)!;
    }

    /// <summary>A MESH_INTERNAL ServiceEntry <c>APP.NS.svc.cluster.local</c> selecting <c>app: APP</c>.</summary>
    public static string Service(string app, string ns = "default", string ports = "{number: 9080, name: http, protocol: HTTP}") => $"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {"{"}name: {app}, namespace: {ns}{"}"}
        spec:
          hosts: [{app}.{ns}.svc.cluster.local]
          ports: [{ports}]
          location: MESH_INTERNAL
          resolution: STATIC
          workloadSelector: {"{"}labels: {"{"}app: {app}{"}"}{"}"}
        ---

        """;
}
