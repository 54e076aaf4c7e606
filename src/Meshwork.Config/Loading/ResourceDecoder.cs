using Meshwork.Config.Binding;
using Meshwork.Config.Diagnostics;
using Meshwork.Config.Reading;
using Meshwork.Config.Resources;
using Meshwork.Config.Validation;

namespace Meshwork.Config.Loading;

/// <summary>
/// Turns one parsed document into a <see cref="ConfigResource"/>: checks the Kubernetes envelope
/// (apiVersion, kind, metadata), finds the kind, and binds the spec. Kubernetes kinds outside
/// Istio's groups are counted as skipped, not errors, so mixed manifests (Bookinfo's) read cleanly.
/// </summary>
internal sealed class ResourceDecoder(string file, List<ConfigResource> resources, List<PartialResource> partial, List<ConfigDiagnostic> diagnostics)
{
    private static readonly HashSet<string> EnvelopeFields = ["apiVersion", "kind", "metadata", "spec", "status"];

    public int Skipped { get; private set; }

    public void Decode(ConfigNode node)
    {
        if (node is not MappingNode mapping)
        {
            Report(node.Line, null, null, $"expected a resource (a mapping with apiVersion, kind, metadata and spec), got {node.Describe()}");
            return;
        }

        var apiVersion = ScalarText(mapping, "apiVersion");
        var kindName = ScalarText(mapping, "kind");
        if (kindName == "List" && apiVersion == "v1" && mapping["items"] is { } items)
        {
            DecodeList(items);
            return;
        }

        if (string.IsNullOrEmpty(apiVersion))
        {
            Report(mapping.Line, null, "apiVersion", "required (e.g. networking.istio.io/v1)");
            return;
        }

        if (string.IsNullOrEmpty(kindName))
        {
            Report(mapping.Line, null, "kind", "required (e.g. VirtualService)");
            return;
        }

        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var group = slash < 0 ? string.Empty : apiVersion[..slash];
        var version = slash < 0 ? apiVersion : apiVersion[(slash + 1)..];
        var kind = ResourceKinds.Find(group, kindName);
        if (kind == null)
        {
            Unmodelled(mapping, group, kindName);
            return;
        }

        var lines = new LineMap { DefaultLine = mapping.Line };
        var binder = new SpecBinder(lines);
        var metadata = mapping["metadata"] is { } metaNode ? binder.Bind<ObjectMeta>(metaNode, "metadata") : null;
        metadata ??= new ObjectMeta();
        var label = $"{kind.Kind} {(metadata.Namespace.Length > 0 ? metadata.Namespace : ConfigResource.DefaultNamespace)}/{(metadata.Name.Length > 0 ? metadata.Name : "<unnamed>")}";
        if (!kind.Serves(version))
        {
            Report(Line(mapping, "apiVersion"), label, "apiVersion", $"{apiVersion} is not served for {kind.Kind}, expected {string.Join(", ", kind.Versions.Select(v => kind.Group + "/" + v))}");
            return;
        }

        var spec = mapping["spec"] is { } specNode ? binder.Bind(kind.SpecType, specNode, "spec") : null;
        spec ??= kind.SpecType == typeof(RawValue)
            ? new RawValue(new MappingNode([], mapping.Line, mapping.Column))
            : Activator.CreateInstance(kind.SpecType)!;
        foreach (var (key, _) in mapping.Entries)
        {
            if (!EnvelopeFields.Contains(key.Value))
            {
                binder.Error(key.Value, key.Line, $"unknown field \"{key.Value}\", expected one of: {string.Join(", ", EnvelopeFields)}");
            }
        }

        var errors = binder.Issues.Select(i => Diagnostic(i.Line, label, i.Path, i.Message)).ToList();
        errors.AddRange(CheckMetadata(metadata, mapping, lines, label).Select(d => d with { File = file }));
        diagnostics.AddRange(errors);
        var resource = new ConfigResource
        {
            Kind = kind,
            ApiVersion = apiVersion,
            Metadata = metadata,
            Spec = spec,
            Source = new SourceLocation(file, mapping.Line),
            Lines = lines,
        };
        if (errors.Count > 0)
        {
            // Never usable, but still worth running the rules over what did bind (see ConfigValidator.Complete).
            partial.Add(new PartialResource(resource, errors.Select(e => e.Path ?? string.Empty).ToList()));
            return;
        }

        resources.Add(resource);
    }

    private void DecodeList(ConfigNode items)
    {
        if (items is not SequenceNode sequence)
        {
            Report(items.Line, null, "items", $"expected a list, got {items.Describe()}");
            return;
        }

        foreach (var item in sequence.Items)
        {
            Decode(item);
        }
    }

    private void Unmodelled(MappingNode mapping, string group, string kindName)
    {
        if (!ResourceKinds.IsIstioGroup(group))
        {
            Skipped++;
            return;
        }

        var known = ResourceKinds.All.Where(k => k.Kind == kindName).Select(k => k.Group).FirstOrDefault();
        if (known != null)
        {
            Report(Line(mapping, "apiVersion"), null, "apiVersion", $"kind {kindName} belongs to {known}, not {group}");
            return;
        }

        if (KnownElsewhere.Contains(kindName))
        {
            Skipped++;
            diagnostics.Add(new ConfigDiagnostic(Severity.Warning, file, Line(mapping, "kind"), $"{kindName} ({group}) is not supported by Meshwork yet; not validated"));
            return;
        }

        Report(Line(mapping, "kind"), null, "kind", $"unknown kind \"{kindName}\" in {group}, expected one of: {string.Join(", ", ResourceKinds.All.Where(k => k.Group == group).Select(k => k.Kind))}");
    }

    /// <summary>Istio kinds that exist upstream but are not modelled here.</summary>
    private static readonly HashSet<string> KnownElsewhere =
    [
        "EnvoyFilter", "ProxyConfig", "WasmPlugin", "ServiceEntryStatus", "HTTPAPISpec", "HTTPAPISpecBinding", "adapter", "template", "IstioOperator", "MeshConfig",
    ];

    private static IEnumerable<ConfigDiagnostic> CheckMetadata(ObjectMeta metadata, MappingNode mapping, LineMap lines, string label)
    {
        if (metadata.Name.Length == 0 && !lines.Contains("metadata.name"))
        {
            yield return new ConfigDiagnostic(Severity.Error, string.Empty, mapping["metadata"]?.Line ?? mapping.Line, "required") { Resource = label, Path = "metadata.name" };
        }
        else if (!Checks.IsDns1123Subdomain(metadata.Name))
        {
            yield return new ConfigDiagnostic(Severity.Error, string.Empty, lines.LineOf("metadata.name"), $"invalid name \"{metadata.Name}\": must be a lowercase RFC 1123 subdomain (lowercase alphanumerics, '-' and '.', at most 253 characters)") { Resource = label, Path = "metadata.name" };
        }

        if (metadata.Namespace.Length > 0 && !(Checks.IsDns1123Label(metadata.Namespace) && metadata.Namespace == metadata.Namespace.ToLowerInvariant()))
        {
            yield return new ConfigDiagnostic(Severity.Error, string.Empty, lines.LineOf("metadata.namespace"), $"invalid namespace \"{metadata.Namespace}\": must be a lowercase RFC 1123 label") { Resource = label, Path = "metadata.namespace" };
        }

        foreach (var (key, message) in Checks.Labels(metadata.Labels))
        {
            yield return new ConfigDiagnostic(Severity.Error, string.Empty, lines.LineOf($"metadata.labels[{key}]"), message) { Resource = label, Path = $"metadata.labels[{key}]" };
        }

        foreach (var (key, _) in metadata.Annotations)
        {
            if (Checks.LabelKey(key) is { } message)
            {
                yield return new ConfigDiagnostic(Severity.Error, string.Empty, lines.LineOf($"metadata.annotations[{key}]"), message.Replace("tag key", "annotation key", StringComparison.Ordinal)) { Resource = label, Path = $"metadata.annotations[{key}]" };
            }
        }
    }

    private ConfigDiagnostic Diagnostic(int line, string? resource, string? path, string message) =>
        new(Severity.Error, file, line, message) { Resource = resource, Path = path };

    private void Report(int line, string? resource, string? path, string message) => diagnostics.Add(Diagnostic(line, resource, path, message));

    private static string? ScalarText(MappingNode mapping, string key) => mapping[key] is ScalarNode { IsNull: false } s ? s.Value : null;

    private static int Line(MappingNode mapping, string key) =>
        mapping.Entries.FirstOrDefault(e => e.Key.Value == key).Key?.Line ?? mapping.Line;
}
