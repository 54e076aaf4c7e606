using Meshwork.Config.Values;

namespace Meshwork.Registry.Model;

/// <summary>
/// The namespaces a service is visible to, resolved from Istio's <c>exportTo</c>: <c>*</c> (every
/// namespace, and the default when the list is empty, as MeshConfig's <c>defaultServiceExportTo</c>),
/// <c>.</c> (the defining namespace), <c>~</c> (no namespace) or namespace names.
/// </summary>
public sealed record ServiceExportTo
{
    public static ServiceExportTo Everyone { get; } = new() { IsPublic = true };

    public static ServiceExportTo Nobody { get; } = new();

    /// <summary>Visible to every namespace.</summary>
    public bool IsPublic { get; init; }

    /// <summary>The namespaces it is visible to when not public, sorted; <c>.</c> already replaced by the defining namespace.</summary>
    public ValueList<string> Namespaces { get; init; }

    public bool IsVisibleTo(string @namespace) => IsPublic || Namespaces.Contains(@namespace);

    /// <summary>Resolves an <c>exportTo</c> list written in <paramref name="ownNamespace"/>.</summary>
    public static ServiceExportTo Resolve(IReadOnlyCollection<string> exportTo, string ownNamespace)
    {
        if (exportTo.Count == 0 || exportTo.Contains("*"))
        {
            return Everyone;
        }

        var namespaces = exportTo
            .Where(e => e != "~")
            .Select(e => e == "." ? ownNamespace : e)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToArray();
        return namespaces.Length == 0 ? Nobody : new ServiceExportTo { Namespaces = namespaces };
    }

    public override string ToString() => IsPublic ? "*" : Namespaces.IsEmpty ? "~" : string.Join(",", Namespaces);
}
