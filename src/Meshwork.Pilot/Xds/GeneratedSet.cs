using System.Security.Cryptography;
using System.Text;
using Meshwork.Pilot.Generators;

namespace Meshwork.Pilot.Xds;

/// <summary>
/// One generator output as the cache holds it: the resources, and a fingerprint of their names and
/// versions, computed once however many proxies are sent the same output. A stream that has already
/// brought a proxy in line with an output of the same fingerprint has nothing to diff.
/// </summary>
internal sealed class GeneratedSet : IReadOnlyList<GeneratedResource>
{
    private readonly IReadOnlyList<GeneratedResource> _resources;
    private string? _fingerprint;

    private GeneratedSet(IReadOnlyList<GeneratedResource> resources) => _resources = resources;

    public int Count => _resources.Count;

    public GeneratedResource this[int index] => _resources[index];

    /// <summary>Equal exactly when the names and versions (so the bytes) of every resource are equal.</summary>
    public string Fingerprint => _fingerprint ??= Compute(_resources);

    public static GeneratedSet Of(IReadOnlyList<GeneratedResource> resources) => resources as GeneratedSet ?? new GeneratedSet(resources);

    public IEnumerator<GeneratedResource> GetEnumerator() => _resources.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    private static string Compute(IReadOnlyList<GeneratedResource> resources)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        foreach (var resource in resources)
        {
            // Length-prefixed, so no two lists of names and versions run together the same way.
            foreach (var part in new[] { resource.Name, resource.Version })
            {
                var bytes = Encoding.UTF8.GetBytes(part);
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
                hash.AppendData(length);
                hash.AppendData(bytes);
            }
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
