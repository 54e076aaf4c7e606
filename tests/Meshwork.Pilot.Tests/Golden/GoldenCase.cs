using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Binding;
using Meshwork.Config.Mesh;
using Meshwork.Config.Reading;
using Meshwork.Config.Store;
using Meshwork.Config.Validation;
using Meshwork.Config.Values;
using Meshwork.Pilot.Generators;
using Meshwork.Pilot.Model;
using Meshwork.Registry.Model;
using Meshwork.Registry.ServiceEntries;

namespace Meshwork.Pilot.Tests.Golden;

/// <summary>
/// A translation golden case: <c>testdata/&lt;case&gt;/input.yaml</c> (Istio resources), <c>proxy.yaml</c>
/// (the proxy under test and other registered proxies, each with an optional xDS node locality and
/// network; optional <c>mesh.yaml</c>), and the expected
/// output per xDS type (<c>cds.json</c>, <c>eds.json</c>, <c>lds.json</c>, <c>rds.json</c>).
/// Set MESHWORK_UPDATE_GOLDEN=1 to rewrite the expected files from what the generators produce.
/// </summary>
public sealed class GoldenCase
{
    public static string TestData { get; } = FindTestData();

    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithTypeRegistry(Meshwork.Xds.Protos.XdsJson.Types).WithIndentation("  ").WithFormatDefaultValues(false));

    private GoldenCase(string name, MeshSnapshot snapshot, IReadOnlyList<ProxyNode> proxies)
    {
        Name = name;
        Snapshot = snapshot;
        Proxies = proxies;
    }

    public string Name { get; }

    public MeshSnapshot Snapshot { get; }

    /// <summary>The proxy under test.</summary>
    public ProxyNode Proxy => Proxies[0];

    /// <summary>Every proxy of proxy.yaml: the one under test first, then the other registered workloads.</summary>
    public IReadOnlyList<ProxyNode> Proxies { get; }

    public string Directory => Path.Combine(TestData, Name);

    public static IEnumerable<string> Names() =>
        System.IO.Directory.Exists(TestData) ? System.IO.Directory.EnumerateDirectories(TestData).Select(Path.GetFileName).Order(StringComparer.Ordinal)! : [];

    public static GoldenCase Load(string name)
    {
        var dir = Path.Combine(TestData, name);
        var input = ConfigValidator.ValidateText(File.ReadAllText(Path.Combine(dir, "input.yaml")), "input.yaml");
        Assert.True(input.IsValid, $"{name}/input.yaml is invalid:\n" + string.Join("\n", input.Errors));
        var config = new ConfigStore();
        config.ReplaceSource("golden", input.Valid);
        var proxies = ReadProxies(Path.Combine(dir, "proxy.yaml"));
        var mesh = File.Exists(Path.Combine(dir, "mesh.yaml")) ? MeshConfigReader.ReadText(File.ReadAllText(Path.Combine(dir, "mesh.yaml")), "mesh.yaml").Config! : MeshConfig.Default;
        var workloads = proxies.Select(p => p.ToRegistration().ToWorkload(WorkloadHealth.Healthy));
        var registry = RegistrySnapshot.Create(1, ServiceEntryConverter.Convert(config.Current, workloads));
        return new GoldenCase(name, new MeshSnapshot(1, mesh, config.Current, registry), proxies);
    }

    /// <summary>Generates one type and compares it with <c>&lt;file&gt;</c>, or writes the file when updating.</summary>
    public void Verify(IResourceGenerator generator, string file, IReadOnlySet<string>? names = null)
    {
        var resources = generator.Generate(Snapshot, Proxy, names);
        var actual = Render(resources);
        var path = Path.Combine(Directory, file);
        if (Environment.GetEnvironmentVariable("MESHWORK_UPDATE_GOLDEN") == "1" || !File.Exists(path))
        {
            File.WriteAllText(path, actual);
            if (Environment.GetEnvironmentVariable("MESHWORK_UPDATE_GOLDEN") != "1")
            {
                Assert.Fail($"{Name}/{file} did not exist; written now from the generator's output. Review it and run again.");
            }

            return;
        }

        Assert.Equal(File.ReadAllText(path).ReplaceLineEndings("\n"), actual);
    }

    public static string Render(IEnumerable<GeneratedResource> resources)
    {
        var sb = new StringBuilder("[\n");
        var first = true;
        foreach (var resource in resources)
        {
            if (!first)
            {
                sb.Append(",\n");
            }

            first = false;
            sb.Append(Json.Format(resource.Resource));
        }

        return sb.Append("\n]\n").ToString().ReplaceLineEndings("\n");
    }

    /// <summary>proxy.yaml: a list of proxies; the first is the one under test, the rest are registered workloads.</summary>
    private static List<ProxyNode> ReadProxies(string path)
    {
        var root = YamlReader.Read(File.ReadAllText(path)).Documents.Single().Root!;
        var binder = new SpecBinder(new LineMap());
        var file = binder.Bind<ProxyFile>(root, string.Empty)!;
        Assert.Empty(binder.Issues);
        return file.Proxies.Select(p =>
        {
            var metadata = new Struct();
            metadata.Fields["NAMESPACE"] = Value.ForString(p.Namespace);
            metadata.Fields["SERVICE_ACCOUNT"] = Value.ForString(p.ServiceAccount);
            metadata.Fields["GENERATOR"] = Value.ForString(p.Generator);
            if (p.Network.Length > 0)
            {
                metadata.Fields["NETWORK"] = Value.ForString(p.Network);
            }

            var labels = new Struct();
            foreach (var (key, value) in p.Labels)
            {
                labels.Fields[key] = Value.ForString(value);
            }

            metadata.Fields["LABELS"] = Value.ForStruct(labels);
            metadata.Fields["POD_PORTS"] = Value.ForString(System.Text.Json.JsonSerializer.Serialize(p.Ports.Select(port => new { name = port.Name, containerPort = port.Port, protocol = "TCP" })));
            var type = p.Type.Length > 0 ? p.Type : "sidecar";
            var locality = WorkloadLocality.Parse(p.Locality);
            var node = new Envoy.Config.Core.V3.Node
            {
                Id = $"{type}~{p.Ip}~{p.Name}.{p.Namespace}~{p.Namespace}.svc.cluster.local",
                Metadata = metadata,
                Locality = new Envoy.Config.Core.V3.Locality { Region = locality.Region, Zone = locality.Zone, SubZone = locality.SubZone },
            };
            return ProxyNode.Parse(node, out _)!;
        }).ToList();
    }

    private static string FindTestData()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Meshwork.sln")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir!.FullName, "tests", "Meshwork.Pilot.Tests", "testdata");
    }

    public sealed record ProxyFile
    {
        public ValueList<ProxyEntry> Proxies { get; init; }
    }

    public sealed record ProxyEntry
    {
        public string Type { get; init; } = string.Empty;

        public string Name { get; init; } = string.Empty;

        public string Namespace { get; init; } = "default";

        public string Ip { get; init; } = string.Empty;

        public ValueMap<string, string> Labels { get; init; }

        public string ServiceAccount { get; init; } = string.Empty;

        public string Generator { get; init; } = string.Empty;

        /// <summary>The xDS node's locality, <c>region/zone/subzone</c>.</summary>
        public string Locality { get; init; } = string.Empty;

        /// <summary>The NETWORK metadata.</summary>
        public string Network { get; init; } = string.Empty;

        public ValueList<PortEntry> Ports { get; init; }
    }

    public sealed record PortEntry
    {
        public string Name { get; init; } = string.Empty;

        public uint Port { get; init; }
    }
}
