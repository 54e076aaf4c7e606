using Meshwork.Config.Values;

namespace Meshwork.Config.Mixer;

/// <summary>istio.mixer.v1.config.client.QuotaSpec: which quotas a request charges, and how much.</summary>
public sealed record QuotaSpec
{
    public ValueList<QuotaRule> Rules { get; init; }
}

/// <summary>QuotaRule: when any match holds (or none is given), charge every quota listed.</summary>
public sealed record QuotaRule
{
    public ValueList<AttributeMatch> Match { get; init; }

    public ValueList<Quota> Quotas { get; init; }
}

/// <summary>AttributeMatch: every clause (attribute name to string match) must hold.</summary>
public sealed record AttributeMatch
{
    public ValueMap<string, StringMatchClause> Clause { get; init; }
}

/// <summary>StringMatch of the Mixer client config.</summary>
public sealed record StringMatchClause
{
    public string? Exact { get; init; }

    public string? Prefix { get; init; }

    public string? Regex { get; init; }
}

/// <summary>Quota: the quota (instance) name and the amount charged.</summary>
public sealed record Quota
{
    [Meshwork.Config.Binding.WireName("quota")]
    public string Name { get; init; } = string.Empty;

    public long Charge { get; init; }
}

/// <summary>istio.mixer.v1.config.client.QuotaSpecBinding: the services that QuotaSpecs apply to.</summary>
public sealed record QuotaSpecBinding
{
    public ValueList<IstioServiceRef> Services { get; init; }

    public ValueList<QuotaSpecReference> QuotaSpecs { get; init; }
}

/// <summary>IstioService: a service by name and namespace (or domain / full name); <c>service: "*"</c> is every service.</summary>
public sealed record IstioServiceRef
{
    public string Name { get; init; } = string.Empty;

    public string Namespace { get; init; } = string.Empty;

    public string Domain { get; init; } = string.Empty;

    public string Service { get; init; } = string.Empty;

    public ValueMap<string, string> Labels { get; init; }
}

/// <summary>QuotaSpecBinding.QuotaSpecReference.</summary>
public sealed record QuotaSpecReference
{
    public string Name { get; init; } = string.Empty;

    public string Namespace { get; init; } = string.Empty;
}
