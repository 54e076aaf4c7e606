using Google.Protobuf.WellKnownTypes;
using Meshwork.Pilot.Model;
using Meshwork.Pilot.Push;

namespace Meshwork.Pilot.Generators;

/// <summary>One xDS resource ready to send: its name, the packed message and a version derived from its bytes.</summary>
public sealed record GeneratedResource(string Name, Any Resource)
{
    /// <summary>Changes exactly when the serialized resource changes, so unchanged resources are never resent.</summary>
    public string Version { get; } = Hash(Resource);

    private static string Hash(Any resource) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(resource.Value.Span))[..16].ToLowerInvariant();
}

/// <summary>
/// Produces one xDS type for one proxy from an immutable snapshot: a pure function of its inputs.
/// Each generator also says whether a push concerns it, so an endpoint change regenerates only EDS.
/// </summary>
public interface IResourceGenerator
{
    string TypeUrl { get; }

    /// <summary>The resources for <paramref name="proxy"/>; <paramref name="names"/> null means all it should have.</summary>
    IReadOnlyList<GeneratedResource> Generate(MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names);

    /// <summary>Whether <paramref name="request"/> can change what this generator produces for <paramref name="proxy"/>.</summary>
    bool Concerns(PushRequest request, ProxyNode proxy);

    /// <summary>
    /// The same question with the snapshot the push generates from, for generators that can narrow
    /// it by what the proxy sees (EDS: only endpoint changes of visible hosts). By default the
    /// snapshot is not needed.
    /// </summary>
    bool Concerns(PushRequest request, ProxyNode proxy, MeshSnapshot snapshot) => Concerns(request, proxy);
}

/// <summary>
/// A generator whose output is, wholly or but for a few resources, the same for every proxy that
/// agrees on a few fields (<see cref="SharedProxyInputs"/>): that part is generated once per distinct
/// reduced proxy and shared; <see cref="GenerateOwn"/> adds what is the proxy's own (CDS: its inbound
/// clusters). <see cref="IResourceGenerator.Generate"/> must equal
/// <c>SharedOutput.Merge(GenerateShared(snapshot, proxy, names), GenerateOwn(snapshot, proxy, names))</c>,
/// and generating the shared part from <see cref="SharedInputs"/> instead of the whole proxy must give
/// the same bytes.
/// </summary>
public interface ISharedResourceGenerator : IResourceGenerator
{
    /// <summary>The proxy reduced to what <see cref="GenerateShared"/> reads: two proxies with equal inputs get equal shared parts.</summary>
    ProxyNode SharedInputs(MeshSnapshot snapshot, ProxyNode proxy) => SharedProxyInputs.For(snapshot, proxy);

    /// <summary>The part of the output that depends on the proxy only through <see cref="SharedInputs"/>, sorted by name (ordinal).</summary>
    IReadOnlyList<GeneratedResource> GenerateShared(MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names);

    /// <summary>
    /// The proxy's own resources, which read fields <see cref="SharedInputs"/> clears, sorted by name
    /// (ordinal); where the shared part has a resource of the same name, the shared one is kept.
    /// </summary>
    IReadOnlyList<GeneratedResource> GenerateOwn(MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names) => [];
}

/// <summary>How a shared part and a proxy's own resources make its output.</summary>
public static class SharedOutput
{
    /// <summary>Both lists merged by name (each sorted, ordinal); a name in both keeps the shared resource.</summary>
    public static IReadOnlyList<GeneratedResource> Merge(IReadOnlyList<GeneratedResource> shared, IReadOnlyList<GeneratedResource> own)
    {
        if (own.Count == 0)
        {
            return shared;
        }

        var merged = new List<GeneratedResource>(shared.Count + own.Count);
        int i = 0, j = 0;
        while (i < shared.Count || j < own.Count)
        {
            var order = i == shared.Count ? 1 : j == own.Count ? -1 : string.CompareOrdinal(shared[i].Name, own[j].Name);
            if (order <= 0)
            {
                merged.Add(shared[i++]);
                j += order == 0 ? 1 : 0;
            }
            else
            {
                merged.Add(own[j++]);
            }
        }

        return merged;
    }
}
