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
/// reduced proxy and shared; <see cref="Complete"/> adds what is the proxy's own (CDS: its inbound
/// clusters). <see cref="IResourceGenerator.Generate"/> must equal
/// <c>Complete(GenerateShared(snapshot, proxy, names), snapshot, proxy, names)</c>, and generating the
/// shared part from <see cref="SharedInputs"/> instead of the whole proxy must give the same bytes.
/// </summary>
public interface ISharedResourceGenerator : IResourceGenerator
{
    /// <summary>The proxy reduced to what <see cref="GenerateShared"/> reads: two proxies with equal inputs get equal shared parts.</summary>
    ProxyNode SharedInputs(MeshSnapshot snapshot, ProxyNode proxy) => SharedProxyInputs.For(snapshot, proxy);

    /// <summary>The part of the output that depends on the proxy only through <see cref="SharedInputs"/>, sorted by name.</summary>
    IReadOnlyList<GeneratedResource> GenerateShared(MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names);

    /// <summary>The whole output for <paramref name="proxy"/> from its shared part; by default the shared part is all of it.</summary>
    IReadOnlyList<GeneratedResource> Complete(IReadOnlyList<GeneratedResource> shared, MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names) => shared;
}
