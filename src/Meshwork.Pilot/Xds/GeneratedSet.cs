using System.Buffers;
using System.Buffers.Binary;
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
    private readonly GeneratedSet? _shared;
    private readonly IReadOnlyList<GeneratedResource>? _own;
    private string? _fingerprint;

    private GeneratedSet(IReadOnlyList<GeneratedResource> resources, GeneratedSet? shared = null, IReadOnlyList<GeneratedResource>? own = null)
    {
        _resources = resources;
        _shared = shared;
        _own = own;
    }

    public int Count => _resources.Count;

    public GeneratedResource this[int index] => _resources[index];

    /// <summary>
    /// Equal exactly when the names and versions (so the bytes) of every resource are equal. A merged
    /// output's is derived from its shared part's and its own resources', which determine it, so a
    /// proxy's thousands of shared clusters are not hashed again for each proxy.
    /// </summary>
    public string Fingerprint => _fingerprint ??= _shared == null ? Compute(null, _resources) : Compute(_shared.Fingerprint, _own!);

    public static GeneratedSet Of(IReadOnlyList<GeneratedResource> resources) => resources as GeneratedSet ?? new GeneratedSet(resources);

    /// <summary>A proxy's output: the shared part and its own resources (<see cref="SharedOutput.Merge"/>).</summary>
    public static GeneratedSet Merge(GeneratedSet shared, IReadOnlyList<GeneratedResource> own) =>
        new(SharedOutput.Merge(shared, own), shared, own);

    public IEnumerator<GeneratedResource> GetEnumerator() => _resources.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    private static string Compute(string? basis, IReadOnlyList<GeneratedResource> resources)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(1024);
        try
        {
            // Tagged, so a merged output's stream can never be read as a plain list's.
            Append(hash, ref buffer, basis == null ? "list" : "merged " + basis);

            foreach (var resource in resources)
            {
                Append(hash, ref buffer, resource.Name);
                Append(hash, ref buffer, resource.Version);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>Length-prefixed, so no two lists of names and versions run together the same way.</summary>
    private static void Append(IncrementalHash hash, ref byte[] buffer, string text)
    {
        var needed = Encoding.UTF8.GetMaxByteCount(text.Length) + 4;
        if (buffer.Length < needed)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = ArrayPool<byte>.Shared.Rent(needed);
        }

        var length = Encoding.UTF8.GetBytes(text, buffer.AsSpan(4));
        BinaryPrimitives.WriteInt32LittleEndian(buffer, length);
        hash.AppendData(buffer, 0, length + 4);
    }
}
