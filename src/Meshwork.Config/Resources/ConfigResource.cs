using Meshwork.Config.Binding;

namespace Meshwork.Config.Resources;

/// <summary>Where a resource came from: the file as the user named it and the line its document starts on.</summary>
public sealed record SourceLocation(string File, int Line)
{
    public override string ToString() => $"{File}:{Line}";
}

/// <summary>Identifies a resource in a store: kind, namespace and name.</summary>
public readonly record struct ResourceKey(string Kind, string Namespace, string Name)
{
    public override string ToString() => $"{Kind} {Namespace}/{Name}";
}

/// <summary>
/// One Istio resource as read: the envelope (kind, version, metadata), the bound spec record and,
/// for error reporting, where it came from and the line of every field. Immutable.
/// </summary>
public sealed record ConfigResource
{
    public const string DefaultNamespace = "default";

    public required ResourceKind Kind { get; init; }

    public required string ApiVersion { get; init; }

    public required ObjectMeta Metadata { get; init; }

    public required object Spec { get; init; }

    public required SourceLocation Source { get; init; }

    public LineMap Lines { get; init; } = LineMap.Empty;

    public string Name => Metadata.Name;

    /// <summary>The resource's namespace, <c>default</c> when the file names none (as kubectl applies it).</summary>
    public string Namespace => Metadata.Namespace.Length > 0 ? Metadata.Namespace : DefaultNamespace;

    public ResourceKey Key => new(Kind.Kind, Namespace, Name);

    public T SpecAs<T>()
        where T : class => (T)Spec;

    public override string ToString() => $"{Kind.Kind} {Namespace}/{Name}";
}
