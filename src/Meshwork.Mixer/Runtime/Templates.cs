using System.Collections.Frozen;

namespace Meshwork.Mixer.Runtime;

/// <summary>What a template is for: Check preconditions, quota allocation, or telemetry.</summary>
public enum TemplateVariety
{
    Check,
    Quota,
    Report,
}

/// <summary>
/// Mixer's compiled-in templates and their fields. A scalar field is one CEXL expression; a map field (dimensions,
/// variables) is a map of them.
/// </summary>
public sealed record TemplateInfo(string Name, TemplateVariety Variety, IReadOnlyList<string> Fields, IReadOnlyList<string> MapFields)
{
    public static FrozenDictionary<string, TemplateInfo> All { get; } = new TemplateInfo[]
    {
        new("checknothing", TemplateVariety.Check, [], []),
        new("listentry", TemplateVariety.Check, ["value"], []),
        new("authorization", TemplateVariety.Check, [], ["subject", "action"]),
        new("apikey", TemplateVariety.Check, ["api", "apiVersion", "apiOperation", "apiKey", "timestamp"], []),
        new("quota", TemplateVariety.Quota, [], ["dimensions"]),
        new("metric", TemplateVariety.Report, ["value", "monitoredResourceType"], ["dimensions", "monitoredResourceDimensions"]),
        new("logentry", TemplateVariety.Report, ["severity", "timestamp", "monitoredResourceType"], ["variables", "monitoredResourceDimensions"]),
        new("reportnothing", TemplateVariety.Report, [], []),
        new("tracespan", TemplateVariety.Report, ["traceId", "spanId", "parentSpanId", "spanName", "startTime", "endTime"], ["spanTags"]),
        new("edge", TemplateVariety.Report, ["timestamp", "sourceWorkloadNamespace", "sourceWorkloadName", "destinationWorkloadNamespace", "destinationWorkloadName", "contextProtocol", "apiProtocol"], []),
        new("kubernetes", TemplateVariety.Report, ["sourceUid", "sourceIp", "destinationUid", "destinationIp", "originUid", "originIp", "destinationPort"], []),
    }.ToFrozenDictionary(t => t.Name, StringComparer.Ordinal);
}

/// <summary>
/// An instance evaluated against one request's attributes: what an adapter receives. Absent values (an expression
/// that read a missing attribute without a default) are left out.
/// </summary>
public sealed record InstanceValue(
    string Name,
    string Template,
    IReadOnlyDictionary<string, object> Fields,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, object>> Maps)
{
    private static readonly IReadOnlyDictionary<string, object> NoValues = FrozenDictionary<string, object>.Empty;

    public object? Field(string name) => Fields.GetValueOrDefault(name);

    public IReadOnlyDictionary<string, object> Map(string name) => Maps.GetValueOrDefault(name) ?? NoValues;
}
