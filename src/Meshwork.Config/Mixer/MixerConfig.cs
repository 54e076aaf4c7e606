using Meshwork.Config.Binding;
using Meshwork.Config.Values;

namespace Meshwork.Config.Mixer;

/// <summary>istio.policy.v1beta1.Handler: an adapter (compiled in, or out of process) configured with its params.</summary>
public sealed record Handler
{
    public string Name { get; init; } = string.Empty;

    public string CompiledAdapter { get; init; } = string.Empty;

    public string Adapter { get; init; } = string.Empty;

    /// <summary>The adapter's own config; its schema belongs to the adapter, which checks it when Mixer compiles the config.</summary>
    public RawValue? Params { get; init; }

    public RawValue? Connection { get; init; }
}

/// <summary>istio.policy.v1beta1.Instance: a template filled from attributes by CEXL expressions in its params.</summary>
public sealed record Instance
{
    public string Name { get; init; } = string.Empty;

    public string CompiledTemplate { get; init; } = string.Empty;

    public string Template { get; init; } = string.Empty;

    public RawValue? Params { get; init; }

    public ValueMap<string, string> AttributeBindings { get; init; }
}

/// <summary>istio.policy.v1beta1.Rule: when <see cref="Match"/> holds, send the instances of each action to its handler.</summary>
public sealed record Rule
{
    /// <summary>A CEXL predicate; empty matches every request.</summary>
    public string Match { get; init; } = string.Empty;

    public ValueList<RuleAction> Actions { get; init; }

    public ValueList<HeaderOperationTemplate> RequestHeaderOperations { get; init; }

    public ValueList<HeaderOperationTemplate> ResponseHeaderOperations { get; init; }

    public RawValue? Sampling { get; init; }
}

/// <summary>istio.policy.v1beta1.Action: a handler, the instances it receives, and a name its outputs are known by.</summary>
public sealed record RuleAction
{
    public string Handler { get; init; } = string.Empty;

    public ValueList<string> Instances { get; init; }

    public string Name { get; init; } = string.Empty;
}

/// <summary>Rule.HeaderOperationTemplate: a header change whose values are CEXL expressions.</summary>
public sealed record HeaderOperationTemplate
{
    public string Name { get; init; } = string.Empty;

    public ValueList<string> Values { get; init; }

    public HeaderOperationKind Operation { get; init; }
}

/// <summary>Rule.HeaderOperationTemplate.Operation.</summary>
public enum HeaderOperationKind
{
    Replace = 0,
    Remove = 1,
    Append = 2,
}

/// <summary>istio.policy.v1beta1.AttributeManifest: the attributes a component produces and their types.</summary>
public sealed record AttributeManifest
{
    public string Revision { get; init; } = string.Empty;

    public string Name { get; init; } = string.Empty;

    public ValueMap<string, AttributeInfo> Attributes { get; init; }
}

/// <summary>AttributeManifest.AttributeInfo.</summary>
public sealed record AttributeInfo
{
    public string Description { get; init; } = string.Empty;

    public AttributeValueType ValueType { get; init; }
}

/// <summary>istio.policy.v1beta1.ValueType.</summary>
public enum AttributeValueType
{
    ValueTypeUnspecified = 0,
    String = 1,
    [WireName("INT64")]
    Int64 = 2,
    Double = 3,
    Bool = 4,
    Timestamp = 5,
    IpAddress = 6,
    EmailAddress = 7,
    Uri = 8,
    DnsName = 9,
    Duration = 10,
    StringMap = 11,
}
