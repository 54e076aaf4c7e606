using Meshwork.Config.Binding;
using Meshwork.Config.Values;

namespace Meshwork.Config.Resources;

/// <summary>Kubernetes object metadata as it appears on Istio resources; every ObjectMeta field is accepted.</summary>
public sealed record ObjectMeta
{
    public string Name { get; init; } = string.Empty;

    public string GenerateName { get; init; } = string.Empty;

    public string Namespace { get; init; } = string.Empty;

    public ValueMap<string, string> Labels { get; init; }

    public ValueMap<string, string> Annotations { get; init; }

    public string ResourceVersion { get; init; } = string.Empty;

    public long Generation { get; init; }

    public string Uid { get; init; } = string.Empty;

    public string SelfLink { get; init; } = string.Empty;

    public string CreationTimestamp { get; init; } = string.Empty;

    public string DeletionTimestamp { get; init; } = string.Empty;

    public long? DeletionGracePeriodSeconds { get; init; }

    public ValueList<string> Finalizers { get; init; }

    public ValueList<OwnerReference> OwnerReferences { get; init; }

    public RawValue? ManagedFields { get; init; }
}

public sealed record OwnerReference
{
    public string ApiVersion { get; init; } = string.Empty;

    public string Kind { get; init; } = string.Empty;

    public string Name { get; init; } = string.Empty;

    public string Uid { get; init; } = string.Empty;

    public bool? Controller { get; init; }

    public bool? BlockOwnerDeletion { get; init; }
}
