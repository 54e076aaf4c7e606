using Meshwork.Config.Mesh;
using Meshwork.Config.Store;
using Meshwork.Registry.Model;

namespace Meshwork.Pilot.Model;

/// <summary>
/// Everything translation reads, frozen at one moment: the mesh config, the valid Istio config and
/// the service registry. Immutable and versioned; a new one is built for each push and swapped whole.
/// </summary>
public sealed record MeshSnapshot(long Version, MeshConfig Mesh, ConfigSnapshot Config, RegistrySnapshot Registry)
{
    /// <summary>The JSON Web Key Sets meshd fetched for RequestAuthentication jwksUri, by URI (Istio's JwtKeyResolver).</summary>
    public IReadOnlyDictionary<string, string> Jwks { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public static MeshSnapshot Empty { get; } = new(0, MeshConfig.Default, ConfigSnapshot.Empty, RegistrySnapshot.Empty);
}
