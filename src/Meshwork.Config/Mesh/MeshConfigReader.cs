using Meshwork.Config.Binding;
using Meshwork.Config.Diagnostics;
using Meshwork.Config.Loading;
using Meshwork.Config.Reading;
using Meshwork.Config.Validation;
using Meshwork.Config.Values;

namespace Meshwork.Config.Mesh;

/// <summary>What reading a mesh config file gave: the config (null when it has errors) and every diagnostic.</summary>
public sealed record MeshConfigOutcome(MeshConfig? Config, IReadOnlyList<ConfigDiagnostic> Diagnostics)
{
    public bool IsValid => Config != null;
}

/// <summary>
/// Reads a MeshConfig file (the YAML Istio keeps under the <c>mesh</c> key of its ConfigMap) with the
/// same located errors as resources. Istio fields that Meshwork does not use are warnings, not errors.
/// One default differs from Istio's on purpose: <c>pathNormalization</c> unset means MERGE_SLASHES,
/// not BASE (see <see cref="MeshConfig.EffectivePathNormalization"/>).
/// </summary>
public static class MeshConfigReader
{
    private const string Resource = "MeshConfig";

    public static MeshConfigOutcome ReadFile(string path, string displayName)
    {
        var (bytes, problem) = ConfigReader.ReadFileBytes(path, displayName);
        if (bytes == null)
        {
            return new MeshConfigOutcome(null, [problem!]);
        }

        return ReadText(System.Text.Encoding.UTF8.GetString(bytes), displayName);
    }

    public static MeshConfigOutcome ReadText(string text, string file)
    {
        var read = YamlReader.Read(text);
        if (read.Error is { } error)
        {
            return new MeshConfigOutcome(null, [new ConfigDiagnostic(Severity.Error, file, error.Line, error.Message)]);
        }

        var documents = read.Documents.Where(d => d.Root is not null and not ScalarNode { IsNull: true }).ToList();
        if (documents.Count == 0)
        {
            return new MeshConfigOutcome(MeshConfig.Default, []);
        }

        if (documents.Count > 1)
        {
            return new MeshConfigOutcome(null, [new ConfigDiagnostic(Severity.Error, file, documents[1].Line, "a mesh config file holds one document")]);
        }

        var lines = new LineMap { DefaultLine = documents[0].Line };
        var binder = new SpecBinder(lines) { IgnoreUnknownFields = true, AcceptQuotedIntegers = true };
        var config = binder.Bind<MeshConfig>(documents[0].Root!, string.Empty) ?? MeshConfig.Default;
        var diagnostics = new List<ConfigDiagnostic>();
        diagnostics.AddRange(binder.Issues.Select(i => new ConfigDiagnostic(Severity.Error, file, i.Line, i.Message) { Resource = Resource, Path = i.Path }));
        diagnostics.AddRange(binder.Ignored.Select(i => new ConfigDiagnostic(Severity.Warning, file, i.Line, $"\"{i.Path}\" is not used by Meshwork; ignored") { Resource = Resource }));
        foreach (var (path, message) in Check(config))
        {
            diagnostics.Add(new ConfigDiagnostic(Severity.Error, file, lines.LineOf(path), message) { Resource = Resource, Path = path });
        }

        diagnostics.Sort((a, b) => a.Line.CompareTo(b.Line));
        return new MeshConfigOutcome(diagnostics.Any(d => d.IsError) ? null : config, diagnostics);
    }

    /// <summary>Istio's ValidateMeshConfig, for the fields Meshwork reads.</summary>
    private static IEnumerable<(string Path, string Message)> Check(MeshConfig config)
    {
        if (config.ConnectTimeout is { } connect && (Checks.Duration(connect) ?? Checks.DurationRange(connect, TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1))) is { } connectError)
        {
            yield return ("connectTimeout", connectError);
        }

        if (config.TrustDomain.Length > 0 && !config.TrustDomain.Split('.').Select((label, i) => (label, i)).All(p => Checks.IsDns1123Label(p.label) || (p.i == config.TrustDomain.Split('.').Length - 1 && p.label.Length == 0)))
        {
            yield return ("trustDomain", $"trust domain name \"{config.TrustDomain}\" invalid");
        }

        if (config.RootNamespace.Length > 0 && !Checks.IsDns1123Label(config.RootNamespace))
        {
            yield return ("rootNamespace", $"invalid namespace \"{config.RootNamespace}\"");
        }

        if (config.AccessLogEncoding == AccessLogEncoding.Json && config.AccessLogFormat.Length > 0 && JsonFormatProblem(config.AccessLogFormat) is { } formatError)
        {
            yield return ("accessLogFormat", formatError);
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < config.ExtensionProviders.Count; i++)
        {
            var provider = config.ExtensionProviders[i];
            var path = $"extensionProviders[{i}]";
            if (provider.Name.Length == 0)
            {
                yield return ($"{path}.name", "empty extension provider name");
            }
            else if (!names.Add(provider.Name))
            {
                yield return ($"{path}.name", $"duplicate extension provider name \"{provider.Name}\"");
            }

            var (service, port) = provider switch
            {
                { Opentelemetry: { } p } => (p.Service, p.Port),
                { Zipkin: { } p } => (p.Service, p.Port),
                { EnvoyExtAuthzHttp: { } p } => (p.Service, p.Port),
                { EnvoyExtAuthzGrpc: { } p } => (p.Service, p.Port),
                _ => (null, 0u),
            };
            if (service != null && service.Length == 0)
            {
                yield return (path, "service is required");
            }

            if (service != null && Checks.Port(port) is { } portError)
            {
                yield return (path, portError);
            }

            foreach (var problem in ExtAuthzProblems(provider, path))
            {
                yield return problem;
            }
        }
    }

    /// <summary>Istio's buildExtAuthzHTTP/GRPC checks that need no registry: statusOnError, pathPrefix and header wildcards.</summary>
    private static IEnumerable<(string Path, string Message)> ExtAuthzProblems(ExtensionProvider provider, string path)
    {
        var (kind, statusOnError) = provider switch
        {
            { EnvoyExtAuthzHttp: { } p } => ("envoyExtAuthzHttp", p.StatusOnError),
            { EnvoyExtAuthzGrpc: { } p } => ("envoyExtAuthzGrpc", p.StatusOnError),
            _ => (null, string.Empty),
        };
        if (kind == null)
        {
            yield break;
        }

        if (statusOnError.Length > 0 && !ExtAuthzStatus.IsSupported(statusOnError))
        {
            yield return ($"{path}.{kind}.statusOnError", $"unsupported statusOnError \"{statusOnError}\": expected an HTTP status code such as \"403\"");
        }

        if (provider.EnvoyExtAuthzHttp is not { } http)
        {
            yield break;
        }

        if (http.PathPrefix.Length > 0 && !http.PathPrefix.StartsWith('/'))
        {
            yield return ($"{path}.{kind}.pathPrefix", $"pathPrefix must begin with `/`, found: \"{http.PathPrefix}\"");
        }

        var lists = new (string Field, ValueList<string> Values)[]
        {
            ("includeRequestHeadersInCheck", http.IncludeRequestHeadersInCheck),
            ("includeHeadersInCheck", http.IncludeHeadersInCheck),
            ("headersToUpstreamOnAllow", http.HeadersToUpstreamOnAllow),
            ("headersToDownstreamOnDeny", http.HeadersToDownstreamOnDeny),
            ("headersToDownstreamOnAllow", http.HeadersToDownstreamOnAllow),
        };
        foreach (var (field, values) in lists)
        {
            if (values.Contains("*"))
            {
                yield return ($"{path}.{kind}.{field}", "a single wildcard (\"*\") is not supported, change it to either prefix or suffix match");
            }
        }
    }

    /// <summary>With JSON encoding the format must be a JSON object of format strings (Istio's accessLogFormat check).</summary>
    private static string? JsonFormatProblem(string format)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(format);
            return document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object ? null : "with JSON encoding the format must be a JSON object";
        }
        catch (System.Text.Json.JsonException e)
        {
            return $"invalid JSON access log format: {e.Message}";
        }
    }
}
